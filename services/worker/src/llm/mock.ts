import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { approxTokens } from './tokens.ts';
import type { ModelCall, ModelReply } from './types.ts';

const WORDS = [
  'queue',
  'turn',
  'model',
  'stream',
  'token',
  'worker',
  'reply',
  'chat',
  'edit',
  'history',
  'signal',
  'budget',
  'context',
  'latency',
  'route',
  'commit',
  'fence',
  'retry',
  'batch',
  'cursor',
];

/**
 * The reply the mock gives: a function of the conversation and the model name only, so tests and
 * benchmarks can predict it exactly.
 */
export function mockReplyText(model: string, messages: ModelCall['messages']): string {
  const digest = createHash('sha256').update(model).update(JSON.stringify(messages)).digest();
  const last = messages.findLast((m) => m.role === 'user')?.content ?? '';
  const echo = last.length > 80 ? `${last.slice(0, 79)}…` : last;
  const words = Array.from(digest.subarray(0, 8), (b) => WORDS[b % WORDS.length]).join(' ');
  return `[${model}] You said: "${echo}". ${words}.`;
}

/** Splits `text` into `n` nearly equal chunks (fewer when the text is short). */
export function chunk(text: string, n: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / n));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

const CHUNKS = 5;

/**
 * The built-in `mock` provider: streams a deterministic reply in a few chunks, spread over
 * `options.latency_ms` (model options override provider options), and reports token usage.
 */
export async function callMock(call: ModelCall): Promise<ModelReply> {
  const options = { ...call.provider.options, ...call.model.options };
  const latencyMs = Number(options.latency_ms ?? 0) || 0;
  const text = mockReplyText(call.model.name, call.messages);
  const parts = chunk(text, CHUNKS);
  for (const part of parts) {
    if (latencyMs > 0) await sleep(latencyMs / parts.length, undefined, { signal: call.signal });
    call.signal.throwIfAborted();
    call.onDelta?.(part);
  }
  return {
    text,
    usage: {
      input_tokens: call.messages.reduce((sum, m) => sum + approxTokens(m.content), 0),
      output_tokens: approxTokens(text),
    },
  };
}
