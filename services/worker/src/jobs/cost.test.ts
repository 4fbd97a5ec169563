import { describe, expect, it } from 'vitest';
import { costMicros } from './cost.ts';

describe('costMicros', () => {
  it.each([
    ['both prices', 3, 15, 1_000, 200, 6_000],
    ['input only', 0.5, null, 1_000, 200, 500],
    ['output only', null, 2, 1_000, 200, 400],
    ['fractional microdollars round', 0.15, 0.6, 7, 3, 3],
    ['free model', 0, 0, 1_000, 200, 0],
  ])('%s', (_name, input, output, inTok, outTok, expected) => {
    expect(
      costMicros(
        { input_tokens: inTok, output_tokens: outTok },
        { input_price_per_mtok: input, output_price_per_mtok: output },
      ),
    ).toBe(expected);
  });

  it('is null, not zero, when the model has no prices', () => {
    expect(
      costMicros({ input_tokens: 10, output_tokens: 10 }, { input_price_per_mtok: null, output_price_per_mtok: null }),
    ).toBeNull();
  });
});
