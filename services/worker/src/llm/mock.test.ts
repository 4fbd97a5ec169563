import { describe, expect, it } from 'vitest';
import { callMock, chunk, mockReplyText } from './mock.ts';
import type { ModelCall } from './types.ts';

const call = (over: Partial<ModelCall> = {}): ModelCall => ({
  provider: { kind: 'mock', baseUrl: null, apiKey: null, headers: {}, options: {} },
  model: { name: 'mock-1', maxOutputTokens: null, contextLimit: null, options: {} },
  messages: [{ role: 'user', content: 'Hello' }],
  signal: new AbortController().signal,
  ...over,
});

describe('mock provider', () => {
  it('replies deterministically from the conversation and the model name', () => {
    const a = mockReplyText('m', [{ role: 'user', content: 'hi' }]);
    expect(mockReplyText('m', [{ role: 'user', content: 'hi' }])).toBe(a);
    expect(mockReplyText('n', [{ role: 'user', content: 'hi' }])).not.toBe(a);
    expect(mockReplyText('m', [{ role: 'user', content: 'ho' }])).not.toBe(a);
  });

  it('streams the reply in a few chunks and reports usage', async () => {
    const deltas: string[] = [];
    const reply = await callMock(call({ onDelta: (t) => deltas.push(t) }));
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(reply.text);
    expect(reply.usage).toEqual({ input_tokens: 2, output_tokens: Math.ceil(reply.text.length / 4) });
  });

  it('stops when aborted mid-reply', async () => {
    const controller = new AbortController();
    const deltas: string[] = [];
    const pending = callMock(
      call({
        model: { name: 'slow', maxOutputTokens: null, contextLimit: null, options: { latency_ms: 10_000 } },
        signal: controller.signal,
        onDelta: (t) => deltas.push(t),
      }),
    );
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(deltas.length).toBeLessThan(5);
  });

  it.each([
    ['abcdefghij', 5, ['ab', 'cd', 'ef', 'gh', 'ij']],
    ['abc', 5, ['a', 'b', 'c']],
    ['', 5, []],
  ])('chunk(%j, %i)', (text, n, expected) => {
    expect(chunk(text, n)).toEqual(expected);
  });
});
