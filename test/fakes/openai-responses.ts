import { type FakeProvider, type FakeUsage, type Protocol, startFake, textOf } from './server.ts';
import { openAiChatProtocol } from './openai.ts';

/**
 * OpenAI Responses (`POST {base}/responses`, `Authorization: Bearer`), streamed as named SSE events
 * with a `sequence_number`: response.created, output_item/content_part added, output_text deltas,
 * the matching done events, then response.completed carrying usage. Errors before the stream use
 * the same body as Chat Completions.
 */
export const openAiResponsesProtocol: Protocol = {
  route: (method, path, body) =>
    method === 'POST' && path.endsWith('/responses') ? { model: body?.model } : undefined,
  key: openAiChatProtocol.key,
  messages: (body) =>
    (body.input as { role: string; content: unknown }[]).map((m) => ({ role: m.role, content: textOf(m.content) })),
  events(model, chunks, usage: FakeUsage, _body, complete) {
    let seq = 0;
    const event = (type: string, data: Record<string, unknown>) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
    const response = { id: 'resp_fake1', object: 'response', created_at: 1_764_000_000, model };
    const item = { id: 'msg_fake1', type: 'message', role: 'assistant' };
    const where = { item_id: item.id, output_index: 0, content_index: 0 };
    const text = chunks.join('');
    const out = [
      event('response.created', { response: { ...response, status: 'in_progress', output: [], usage: null } }),
      event('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }),
      event('response.content_part.added', { ...where, part: { type: 'output_text', text: '', annotations: [] } }),
      ...chunks.map((delta) => event('response.output_text.delta', { ...where, delta, logprobs: [] })),
    ];
    if (!complete) return out;
    const part = { type: 'output_text', text, annotations: [] };
    const done = { ...item, status: 'completed', content: [part] };
    out.push(
      event('response.output_text.done', { ...where, text, logprobs: [] }),
      event('response.content_part.done', { ...where, part }),
      event('response.output_item.done', { output_index: 0, item: done }),
      event('response.completed', {
        response: {
          ...response,
          status: 'completed',
          output: [done],
          usage: {
            input_tokens: usage.input,
            input_tokens_details: { cached_tokens: usage.cacheRead ?? 0 },
            output_tokens: usage.output,
            output_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
            total_tokens: usage.input + usage.output,
          },
        },
      }),
    );
    return out;
  },
  error: openAiChatProtocol.error,
  streamError: (kind) =>
    `event: error\ndata: ${JSON.stringify({
      type: 'error',
      sequence_number: 99,
      code: 'server_error',
      message: kind === 'overloaded' ? 'The server is overloaded.' : 'The server had an error.',
      param: null,
    })}\n\n`,
};

export const startFakeOpenAiResponses = (): Promise<FakeProvider> => startFake(openAiResponsesProtocol);
