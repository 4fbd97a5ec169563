import { argumentPieces, type FakeProvider, type FakeUsage, type Protocol, startFake, textOf } from './server.ts';

const sse = (data: unknown): string => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

const ERRORS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: "Invalid value for 'temperature'." },
  401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided: sk-te***st.' },
  404: {
    type: 'invalid_request_error',
    code: 'model_not_found',
    message: 'The model `no-such-model` does not exist or you do not have access to it.',
  },
  429: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests.' },
  500: { type: 'server_error', code: null, message: 'The server had an error while processing your request.' },
  503: { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' },
};

/**
 * OpenAI Chat Completions (`POST {base}/chat/completions`, `Authorization: Bearer`), streamed as
 * `chat.completion.chunk` SSE events ending in `data: [DONE]`, usage in a last choice-less chunk
 * when `stream_options.include_usage` asks for it. vLLM, Ollama, LM Studio and OpenRouter answer
 * the same way.
 */
export const openAiChatProtocol: Protocol = {
  route: (method, path, body) =>
    method === 'POST' && path.endsWith('/chat/completions') ? { model: body?.model } : undefined,
  key: (headers) => /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1],
  messages: (body) =>
    (body.messages as { role: string; content: unknown }[]).map((m) => ({ role: m.role, content: textOf(m.content) })),
  events(model, chunks, usage: FakeUsage, body, complete) {
    const base = { id: 'chatcmpl-fake1', object: 'chat.completion.chunk', created: 1_764_000_000, model };
    const out = [
      sse({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }),
    ];
    for (const text of chunks)
      out.push(sse({ ...base, choices: [{ index: 0, delta: { content: text }, finish_reason: null }] }));
    if (!complete) return out;
    out.push(sse({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
    if (body?.stream_options?.include_usage) {
      out.push(
        sse({
          ...base,
          choices: [],
          usage: {
            prompt_tokens: usage.input,
            completion_tokens: usage.output,
            total_tokens: usage.input + usage.output,
            prompt_tokens_details: { cached_tokens: usage.cacheRead ?? 0 },
            completion_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
          },
        }),
      );
    }
    out.push(sse('[DONE]'));
    return out;
  },
  /** Streamed `tool_calls` deltas: the first names the call (id, function name), the rest add arguments. */
  toolCallEvents(model, calls, usage, body) {
    const base = { id: 'chatcmpl-fake2', object: 'chat.completion.chunk', created: 1_764_000_000, model };
    const chunk = (delta: unknown, finish: string | null = null) =>
      sse({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
    const out = [chunk({ role: 'assistant', content: null })];
    calls.forEach((call, index) => {
      out.push(
        chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }),
      );
      for (const piece of argumentPieces(call.input)) {
        out.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
      }
    });
    out.push(chunk({}, 'tool_calls'));
    if (body?.stream_options?.include_usage) {
      out.push(
        sse({
          ...base,
          choices: [],
          usage: {
            prompt_tokens: usage.input,
            completion_tokens: usage.output,
            total_tokens: usage.input + usage.output,
          },
        }),
      );
    }
    out.push(sse('[DONE]'));
    return out;
  },
  error(status, message) {
    const known = ERRORS[status] ?? ERRORS[500]!;
    return { body: { error: { message: message ?? known.message, type: known.type, param: null, code: known.code } } };
  },
  streamError: (kind) =>
    sse({
      error: {
        message: kind === 'overloaded' ? ERRORS[503]!.message : ERRORS[500]!.message,
        type: 'server_error',
        param: null,
        code: null,
      },
    }),
};

export const startFakeOpenAi = (): Promise<FakeProvider> => startFake(openAiChatProtocol);
