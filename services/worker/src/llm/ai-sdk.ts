import type { Logger } from '@chatq/platform';
import type { FinishReason, Usage } from '@chatq/contracts';
import type { AssistantModelMessage, LanguageModel, LanguageModelUsage, ModelMessage, ToolSet } from 'ai';
import { ProviderConfigError } from './errors.ts';
import { callSettings } from './options.ts';
import type { ChatTurnMessage, ModelCall, ModelReply, ToolCall, ToolSpec } from './types.ts';

/** The provider kinds served through the AI SDK. */
export type AiSdkKind = 'openai' | 'anthropic' | 'google' | 'openai-compatible';

/** A stream that closed without the provider's end-of-reply marker: the reply may be cut short. */
export class IncompleteStreamError extends Error {
  override name = 'IncompleteStreamError';
}

function requireKey(call: ModelCall): string {
  // Passing the key explicitly also keeps the SDK from falling back to OPENAI_API_KEY & co.
  if (!call.provider.apiKey) throw new ProviderConfigError(`${call.provider.kind} provider has no API key configured`);
  return call.provider.apiKey;
}

/**
 * The AI SDK model for a call. `base_url` replaces the SDK's default endpoint for every kind, so a
 * proxy, gateway or air-gapped mirror works the same way as the public API; every request goes
 * through `fetch`, the worker's outbound policy (outbound.ts). OpenAI goes through
 * Chat Completions, the API that OpenAI-compatible servers also speak, unless options say
 * `"api": "responses"`. Each provider package loads on its first call: together they weigh tens of
 * megabytes a worker that only uses one kind (or the mock) need not carry.
 */
async function languageModel(
  kind: AiSdkKind,
  call: ModelCall,
  api: 'chat' | 'responses' | undefined,
  fetch: typeof globalThis.fetch,
): Promise<LanguageModel> {
  const baseURL = call.provider.baseUrl ?? undefined;
  // The provider's secret headers go on every request the SDK makes for it.
  const headers = call.provider.headers;
  const name = call.model.name;
  switch (kind) {
    case 'openai': {
      const { createOpenAI } = await import('@ai-sdk/openai');
      const openai = createOpenAI({ apiKey: requireKey(call), baseURL, headers, fetch });
      return api === 'responses' ? openai.responses(name) : openai.chat(name);
    }
    case 'anthropic': {
      const { createAnthropic } = await import('@ai-sdk/anthropic');
      return createAnthropic({ apiKey: requireKey(call), baseURL, headers, fetch })(name);
    }
    case 'google': {
      const { createGoogleGenerativeAI } = await import('@ai-sdk/google');
      return createGoogleGenerativeAI({ apiKey: requireKey(call), baseURL, headers, fetch })(name);
    }
    case 'openai-compatible': {
      if (!baseURL) throw new ProviderConfigError('openai-compatible provider needs a base_url');
      const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
      return createOpenAICompatible({
        name: 'openai-compatible',
        baseURL,
        apiKey: call.provider.apiKey ?? undefined,
        headers,
        includeUsage: true,
        fetch,
      })(name);
    }
  }
}

/**
 * Sends the AI SDK's warnings (an unknown model's default token limit, an unsupported setting) to
 * the worker's log instead of stderr. The SDK reads this from a global, so one call per process.
 */
export function routeSdkWarnings(logger: Logger): void {
  globalThis.AI_SDK_LOG_WARNINGS = ({ warnings, provider, model }) =>
    logger.warn({ warnings, provider, model }, 'AI SDK warning');
}

/** The provider's own token report; optional counts appear only when the provider gave them. */
export function toUsage(u: LanguageModelUsage): Usage {
  const usage: Usage = { input_tokens: u.inputTokens ?? 0, output_tokens: u.outputTokens ?? 0 };
  const reasoning = u.outputTokenDetails?.reasoningTokens;
  const cacheRead = u.inputTokenDetails?.cacheReadTokens;
  const cacheWrite = u.inputTokenDetails?.cacheWriteTokens;
  if (reasoning != null) usage.reasoning_tokens = reasoning;
  if (cacheRead != null) usage.cache_read_tokens = cacheRead;
  if (cacheWrite != null) usage.cache_write_tokens = cacheWrite;
  return usage;
}

/**
 * The conversation in the AI SDK's messages: an assistant message's tool calls as `tool-call`
 * parts, a tool message's results as `tool-result` parts (an error result as `error-json`). The
 * provider packages turn these into each provider's own wire format.
 */
export function toModelMessages(messages: ChatTurnMessage[], system?: string): ModelMessage[] {
  const out: ModelMessage[] = system ? [{ role: 'system', content: system }] : [];
  for (const m of messages) {
    if (m.role === 'user') out.push({ role: 'user', content: m.content });
    else if (m.role === 'assistant') {
      if (!m.parts) {
        out.push({ role: 'assistant', content: m.content });
        continue;
      }
      const content: Exclude<AssistantModelMessage['content'], string> = [];
      for (const p of m.parts) {
        if (p.type === 'text') content.push({ type: 'text', text: p.text });
        else if (p.type === 'tool_call')
          content.push({ type: 'tool-call', toolCallId: p.tool_call_id, toolName: p.name, input: p.input ?? {} });
      }
      out.push({ role: 'assistant', content });
    } else {
      out.push({
        role: 'tool',
        content: (m.parts ?? []).flatMap((p) =>
          p.type === 'tool_result'
            ? [
                {
                  type: 'tool-result' as const,
                  toolCallId: p.tool_call_id,
                  toolName: p.name,
                  output: p.is_error
                    ? { type: 'error-json' as const, value: (p.output ?? null) as never }
                    : { type: 'json' as const, value: (p.output ?? null) as never },
                },
              ]
            : [],
        ),
      });
    }
  }
  return out;
}

/**
 * The tools as the AI SDK offers them to a model: schemas only, no `execute` (the loop runs them).
 * `sdk` is the `ai` module, loaded on the first call as the provider packages are.
 */
function toToolSet(sdk: typeof import('ai'), tools: ToolSpec[] | undefined): ToolSet | undefined {
  if (!tools?.length) return undefined;
  const { tool, jsonSchema } = sdk;
  return Object.fromEntries(
    tools.map((t) => [t.name, tool({ description: t.description, inputSchema: jsonSchema(t.inputSchema) })]),
  );
}

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  'content-filter': 'content_filter',
  'tool-calls': 'tool_calls',
  error: 'error',
};

const abortReason = (signal: AbortSignal): unknown =>
  signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');

/**
 * Calls a model of `kind` through the AI SDK and `fetch`, streaming: every text delta goes to
 * `onDelta` as it arrives. The SDK's own retries are off, because a retry here would hold a worker slot through
 * the wait; BullMQ retries the turn with backoff instead. Errors are thrown as the SDK raised them
 * for classify.ts to judge.
 */
export async function callAiSdk(kind: AiSdkKind, call: ModelCall, fetch: typeof globalThis.fetch): Promise<ModelReply> {
  const { headers, api, ...settings } = callSettings(call.provider.options, call.model.options);
  // The low-memory variant: plain streamText keeps every part of the stream for replays and result
  // getters this loop never uses, so its memory grows with the number of deltas a provider sends.
  const sdk = await import('ai');
  const { experimental_streamTextLowMemory: streamTextLowMemory } = sdk;
  const result = streamTextLowMemory({
    model: await languageModel(kind, call, api, fetch),
    // Already fitted to the model's context by the claim (infra/sql/functions/turn_history.sql).
    messages: toModelMessages(call.messages, call.system),
    tools: toToolSet(sdk, call.tools),
    maxOutputTokens: call.model.maxOutputTokens ?? undefined,
    ...settings,
    headers,
    maxRetries: 0,
    abortSignal: call.signal,
    // Errors arrive as stream parts below; the default handler would print them to stderr.
    onError: () => {},
  });

  let text = '';
  let usage: LanguageModelUsage | undefined;
  let finishReason: FinishReason = 'other';
  const toolCalls: ToolCall[] = [];
  for await (const part of result.fullStream) {
    if (part.type === 'text-delta') {
      text += part.text;
      call.onDelta?.(part.text);
    } else if (part.type === 'tool-call') {
      // Without `execute` the SDK hands the call back and stops: one streamText is one step.
      toolCalls.push({ tool_call_id: part.toolCallId, name: part.toolName, input: part.input ?? {} });
    } else if (part.type === 'error') {
      throw part.error;
    } else if (part.type === 'abort') {
      throw abortReason(call.signal);
    } else if (part.type === 'finish') {
      // 'interrupted': the response ended without the provider's completion signal (a proxy cut it).
      if (part.finishReason === 'interrupted') break;
      usage = part.totalUsage;
      finishReason = FINISH[part.finishReason] ?? 'other';
    }
  }
  if (call.signal.aborted) throw abortReason(call.signal);
  if (!usage) throw new IncompleteStreamError('provider stream ended before the reply was complete');
  return { text, usage: toUsage(usage), toolCalls, finishReason };
}
