import { describe, expect, it } from 'vitest';
import type { HistoryMessage } from '../db/turns.repository.ts';
import { addUsage, modelMessages, replyCap, unsettledCalls } from './agent-loop.ts';

const call = (id: string) => ({ type: 'tool_call' as const, tool_call_id: id, name: 'f', input: {} });
const result = (id: string) => ({
  type: 'tool_result' as const,
  tool_call_id: id,
  name: 'f',
  output: 1,
  is_error: false,
});

const history: HistoryMessage[] = [
  { role: 'user', content: 'old question' },
  // An earlier turn cancelled while its call waited: the call has no result.
  { role: 'assistant', content: '', parts: [call('old')], turn_id: 't0' },
  { role: 'user', content: 'new question' },
  {
    role: 'assistant',
    content: 'checking',
    parts: [{ type: 'text', text: 'checking' }, call('a'), call('b')],
    turn_id: 't1',
  },
  { role: 'tool', content: '', parts: [result('a')], turn_id: 't1' },
];

describe('unsettledCalls', () => {
  it('names the calls of the turn’s last step without a stored result, and only those', () => {
    expect(unsettledCalls(history, 't1').map((c) => c.tool_call_id)).toEqual(['b']);
    expect(
      unsettledCalls([...history, { role: 'tool', content: '', parts: [result('b')], turn_id: 't1' }], 't1'),
    ).toEqual([]);
    expect(unsettledCalls(history.slice(0, 3), 't1')).toEqual([]);
  });
});

describe('modelMessages', () => {
  it('answers a call an earlier turn left without a result with an error result, right after it', () => {
    // The loop settles the current turn's calls before any model call: here `b` has its result too.
    const out = modelMessages([...history, { role: 'tool', content: '', parts: [result('b')], turn_id: 't1' }]);
    expect(out.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'user', 'assistant', 'tool', 'tool']);
    expect(out[2]!.parts).toEqual([
      expect.objectContaining({ type: 'tool_result', tool_call_id: 'old', is_error: true }),
    ]);
    expect(out.some((m) => 'turn_id' in m)).toBe(false);
  });
});

describe('addUsage', () => {
  it('sums every count, keeping optional ones only when a step reported them', () => {
    expect(addUsage({ input_tokens: 1, output_tokens: 2 }, { input_tokens: 3, output_tokens: 4 })).toEqual({
      input_tokens: 4,
      output_tokens: 6,
    });
    expect(
      addUsage({ input_tokens: 1, output_tokens: 2, cache_read_tokens: 5 }, { input_tokens: 0, output_tokens: 0 }),
    ).toEqual({ input_tokens: 1, output_tokens: 2, cache_read_tokens: 5 });
  });
});

describe('replyCap', () => {
  const claim = (modelCap: number | null, turnCap?: number) =>
    ({
      model: { max_output_tokens: modelCap },
      turn: { options: turnCap === undefined ? null : { max_output_tokens: turnCap } },
    }) as unknown as Parameters<typeof replyCap>[0];

  it.each([
    [null, undefined, null],
    [500, undefined, 500],
    [null, 100, 100],
    [500, 100, 100],
    [50, 100, 50],
  ])('caps a reply at the lower of the model config’s (%s) and the turn’s (%s): %s', (model, own, expected) => {
    expect(replyCap(claim(model, own))).toBe(expected);
  });
});
