import { argumentPieces, type FakeProvider, type FakeUsage, type Protocol, startFake, textOf } from './server.ts';

const event = (data: { type: string; [field: string]: unknown }): string =>
  `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;

const ERRORS: Record<number, { type: string; message: string }> = {
  400: { type: 'invalid_request_error', message: 'messages: roles must alternate between "user" and "assistant"' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  403: { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' },
  404: { type: 'not_found_error', message: 'model: no-such-model' },
  413: { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' },
  429: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' },
  500: { type: 'api_error', message: 'Internal server error' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

/**
 * Anthropic Messages (`POST {base}/messages`, key in `x-api-key`), streamed as named SSE events:
 * message_start (input usage), content_block_start/delta/stop, message_delta (output usage),
 * message_stop.
 */
export const anthropicProtocol: Protocol = {
  route: (method, path, body) => (method === 'POST' && path.endsWith('/messages') ? { model: body?.model } : undefined),
  key: (headers) => headers['x-api-key'] as string | undefined,
  messages: (body) =>
    (body.messages as { role: string; content: unknown }[]).map((m) => ({ role: m.role, content: textOf(m.content) })),
  events(model, chunks, usage: FakeUsage, _body, complete) {
    const out = [
      event({
        type: 'message_start',
        message: {
          id: 'msg_fake1',
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: usage.input,
            output_tokens: 1,
            cache_creation_input_tokens: usage.cacheWrite ?? 0,
            cache_read_input_tokens: usage.cacheRead ?? 0,
          },
        },
      }),
      event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      event({ type: 'ping' }),
    ];
    for (const text of chunks) {
      out.push(event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }));
    }
    if (!complete) return out;
    out.push(
      event({ type: 'content_block_stop', index: 0 }),
      event({
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: usage.output },
      }),
      event({ type: 'message_stop' }),
    );
    return out;
  },
  /** One `tool_use` content block per call, its input streamed as `input_json_delta`s; stop_reason tool_use. */
  toolCallEvents(model, calls, usage) {
    const out = [
      event({
        type: 'message_start',
        message: {
          id: 'msg_fake2',
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: usage.input, output_tokens: 1 },
        },
      }),
    ];
    calls.forEach((call, index) => {
      out.push(
        event({
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
        }),
      );
      for (const partial_json of argumentPieces(call.input)) {
        out.push(event({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } }));
      }
      out.push(event({ type: 'content_block_stop', index }));
    });
    out.push(
      event({
        type: 'message_delta',
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: { output_tokens: usage.output },
      }),
      event({ type: 'message_stop' }),
    );
    return out;
  },
  error(status, message) {
    const known = ERRORS[status] ?? ERRORS[500]!;
    return {
      body: { type: 'error', error: { type: known.type, message: message ?? known.message } },
      headers: { 'request-id': 'req_fake1' },
    };
  },
  streamError: (kind) => {
    const known = ERRORS[kind === 'overloaded' ? 529 : 500]!;
    return event({ type: 'error', error: { type: known.type, message: known.message } });
  },
};

export const startFakeAnthropic = (): Promise<FakeProvider> => startFake(anthropicProtocol);
