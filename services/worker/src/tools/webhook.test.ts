import { MAX_TOOL_OUTPUT_CHARS } from '@chatq/contracts';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bounded } from './output.ts';
import { webhookSignature } from './webhook.ts';

describe('webhookSignature', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const mac = createHmac('sha256', 'shh').update('1700000000.{"a":1}').digest('hex');
    expect(webhookSignature('shh', '{"a":1}', 1_700_000_000)).toBe(`t=1700000000,v1=${mac}`);
  });
});

describe('bounded', () => {
  it('keeps an output up to MAX_TOOL_OUTPUT_CHARS of JSON and turns a larger one into an error saying so', () => {
    const fits = 'x'.repeat(MAX_TOOL_OUTPUT_CHARS - 2);
    expect(bounded({ output: fits, is_error: false })).toEqual({ output: fits, is_error: false });
    const over = bounded({ output: `${fits}y`, is_error: false });
    expect(over.is_error).toBe(true);
    expect(over.output).toBe(
      `tool output was ${MAX_TOOL_OUTPUT_CHARS + 1} characters of JSON, over the limit of ${MAX_TOOL_OUTPUT_CHARS}; dropped`,
    );
  });
});
