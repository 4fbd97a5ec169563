import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { approxTokens } from './tokens.ts';
import type { ModelCall, ModelReply, ToolCall } from './types.ts';

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

/** How much of the system prompt the mock's reply quotes. */
export const MOCK_SYSTEM_ECHO_CHARS = 40;

/**
 * The reply the mock gives: a function of the conversation, the model name and the system prompt
 * only, so tests and benchmarks can predict it exactly. After tool results (the step that follows
 * the calls) it names each result's tool and its output as JSON; with a system prompt it quotes
 * the prompt's first MOCK_SYSTEM_ECHO_CHARS characters.
 */
export function mockReplyText(model: string, messages: ModelCall['messages'], system?: string): string {
  const digest = createHash('sha256').update(model).update(JSON.stringify(messages)).digest();
  const last = messages.findLast((m) => m.role === 'user')?.content ?? '';
  const echo = last.length > 80 ? `${last.slice(0, 79)}…` : last;
  const words = Array.from(digest.subarray(0, 8), (b) => WORDS[b % WORDS.length]).join(' ');
  const results = resultsOfThisTurn(messages).map((r) => `${r.name} returned ${JSON.stringify(r.output)}`);
  return [
    `[${model}] You said: "${echo}".`,
    ...(results.length ? [`Tools: ${results.join('; ')}.`] : []),
    ...(system ? [`System: "${system.slice(0, MOCK_SYSTEM_ECHO_CHARS)}".`] : []),
    `${words}.`,
  ].join(' ');
}

/** The tool results after the newest user message: what the current turn's tools returned. */
function resultsOfThisTurn(messages: ModelCall['messages']) {
  const start = messages.findLastIndex((m) => m.role === 'user');
  return messages
    .slice(start + 1)
    .flatMap((m) => m.parts ?? [])
    .filter((p) => p.type === 'tool_result');
}

/** The calls `options.tool_calls` asks for: [{name, input}]; anything else is no call. */
function scriptedCalls(options: Record<string, unknown>): { name: string; input: unknown }[] {
  const calls = options.tool_calls;
  if (!Array.isArray(calls)) return [];
  return calls.filter(
    (c): c is { name: string; input: unknown } => typeof c === 'object' && c !== null && typeof c.name === 'string',
  );
}

/**
 * The calls the mock makes: `options.tool_calls`, in the first step of a turn only (no tool message
 * since the newest user message), with ids derived from the conversation, so a retried step makes
 * the very same calls.
 */
export function mockToolCalls(call: Pick<ModelCall, 'model' | 'provider' | 'messages'>): ToolCall[] {
  const start = call.messages.findLastIndex((m) => m.role === 'user');
  if (call.messages.slice(start + 1).some((m) => m.role === 'tool')) return [];
  const scripted = scriptedCalls({ ...call.provider.options, ...call.model.options });
  const digest = createHash('sha256').update(call.model.name).update(JSON.stringify(call.messages)).digest('hex');
  return scripted.map((c, i) => ({
    tool_call_id: `call_${digest.slice(0, 16)}_${i}`,
    name: c.name,
    input: c.input ?? {},
  }));
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
 * `options.latency_ms` (model options override provider options), and reports token usage. With
 * `options.tool_calls` its first step of a turn calls those tools (and says nothing).
 */
export async function callMock(call: ModelCall): Promise<ModelReply> {
  const options = { ...call.provider.options, ...call.model.options };
  const latencyMs = Number(options.latency_ms ?? 0) || 0;
  const toolCalls = mockToolCalls(call);
  const input = call.messages.reduce((sum, m) => sum + approxTokens(m.parts ? JSON.stringify(m.parts) : m.content), 0);
  if (toolCalls.length > 0) {
    if (latencyMs > 0) await sleep(latencyMs, undefined, { signal: call.signal });
    call.signal.throwIfAborted();
    const output = approxTokens(JSON.stringify(toolCalls));
    return { text: '', usage: { input_tokens: input, output_tokens: output }, toolCalls, finishReason: 'tool_calls' };
  }
  const text = mockReplyText(call.model.name, call.messages, call.system);
  const parts = chunk(text, CHUNKS);
  for (const part of parts) {
    if (latencyMs > 0) await sleep(latencyMs / parts.length, undefined, { signal: call.signal });
    call.signal.throwIfAborted();
    call.onDelta?.(part);
  }
  return {
    text,
    usage: { input_tokens: input, output_tokens: approxTokens(text) },
    toolCalls: [],
    finishReason: 'stop',
  };
}
