import {
  type ChatCompletionChunk,
  openAIErrorOf,
  type openAIRoutes,
  type OpenAIResponse,
  type User,
} from '@chatq/contracts';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { AppError } from '../domain/errors.ts';
import { chatFinishReason, chatUsageOf, chunkOf, chunkToolCalls } from '../domain/openai.mapping.ts';
import type { OpenAIService, StartedTurn } from '../domain/openai.service.ts';
import { appErrorBody } from '../http/errors.ts';
import { OpenAIEventStream } from '../http/openai-sse.ts';
import type { Handlers } from './register.ts';

/**
 * The OpenAI-compatible facade (`/openai/v1`). Non-streaming requests wait for their turn and
 * answer JSON; streaming ones take the response over and write OpenAI's event streams.
 */
export const openAIHandlers = (openai: OpenAIService): Handlers<typeof openAIRoutes> => ({
  openaiListModels: async () => ({ object: 'list' as const, data: await openai.models() }),

  openaiGetModel: async (request) => openai.model(request.params.model),

  openaiCreateChatCompletion: async (request, reply) => {
    const started = await openai.startChatCompletion(request.user, request.body, request.log);
    if (!request.body.stream) {
      const gone = clientGone(reply);
      return (await openai.finishChatCompletion(request.user, started, () => {}, gone, request.log)).completion;
    }
    const stream = new OpenAIEventStream(reply);
    await streamChatCompletion(
      openai,
      request.user,
      started,
      stream,
      request.body.stream_options?.include_usage,
      request.log,
    );
    return reply;
  },

  openaiCreateResponse: async (request, reply) => {
    const { user, body, log } = request;
    const started = await openai.startResponse(user, body, log);
    if (body.background) {
      // The turn runs in the queue; store: false still deletes its chat once it completes.
      if (body.store === false) void finishInBackground(openai, user, started, log);
      const queued = await openai.startedResponse(user, started);
      if (!body.stream) return queued;
    }
    if (!body.stream) return openai.finishResponse(user, started, () => {}, undefined, log);
    const stream = new OpenAIEventStream(reply);
    await streamResponse(openai, user, started, stream, log);
    return reply;
  },

  openaiGetResponse: async (request) => openai.response(request.user, request.params.response_id),

  openaiDeleteResponse: async (request) => {
    await openai.deleteResponse(request.user, request.params.response_id, request.log);
    return { id: request.params.response_id, object: 'response' as const, deleted: true as const };
  },

  openaiCancelResponse: async (request) => openai.cancelResponse(request.user, request.params.response_id, request.log),

  openaiListResponseInputItems: async (request) =>
    openai.inputItems(request.user, request.params.response_id, request.query),

  openaiCreateConversation: async (request) => openai.createConversation(request.user, request.log),

  openaiGetConversation: async (request) => openai.conversation(request.user, request.params.conversation_id),

  openaiDeleteConversation: async (request) => {
    await openai.deleteConversation(request.user, request.params.conversation_id, request.log);
    return { id: request.params.conversation_id, object: 'conversation.deleted' as const, deleted: true as const };
  },

  openaiListConversationItems: async (request) =>
    openai.conversationItems(request.user, request.params.conversation_id, request.query),
});

/**
 * Aborts when the client leaves before its answer is sent: a chat completion's turn then stops (no
 * one will read it). `close` also fires after a finished response, which aborts nothing.
 */
function clientGone(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) gone.abort();
  });
  return gone.signal;
}

/** An error once the stream is open: OpenAI's SDKs raise an `error` event's body as an APIError. */
function streamedError(err: unknown, log: FastifyBaseLogger) {
  if (err instanceof AppError) return openAIErrorOf(err.status, appErrorBody(err));
  log.error({ err }, 'streamed OpenAI request failed');
  return openAIErrorOf(500, { message: 'Internal server error.' });
}

/**
 * `chat.completion.chunk`s: the role, the text as it streams, the calls the turn waits on, the
 * finish reason, the usage (when asked for), then `[DONE]`. Text the event log did not carry (a lost
 * delta) goes out before the end, read back from the stored reply.
 */
async function streamChatCompletion(
  openai: OpenAIService,
  user: User,
  started: StartedTurn,
  stream: OpenAIEventStream,
  includeUsage: boolean | undefined,
  log: FastifyBaseLogger,
): Promise<void> {
  const { turn } = started;
  const chunk = (
    delta: ChatCompletionChunk['choices'][number]['delta'] | null,
    finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null,
    usage?: ChatCompletionChunk['usage'],
  ) => stream.send(chunkOf(turn, delta, finish, usage ?? undefined));
  let sent = '';
  try {
    await chunk({ role: 'assistant', content: '' });
    const done = await openai.finishChatCompletion(
      user,
      started,
      async (text) => {
        sent += text;
        await chunk({ content: text });
      },
      stream.signal,
      log,
    );
    if (stream.signal.aborted) return;
    const text = done.completion.choices[0]!.message.content ?? '';
    if (text.length > sent.length && text.startsWith(sent)) await chunk({ content: text.slice(sent.length) });
    const calls = chunkToolCalls(done.turn, done.messages);
    if (calls.length) await chunk({ tool_calls: calls });
    await chunk({}, chatFinishReason(done.turn.status, done.turn.finish_reason));
    if (includeUsage) await chunk(null, null, chatUsageOf(done.messages));
    await stream.send('[DONE]');
  } catch (err) {
    await stream.send(streamedError(err, log));
  } finally {
    stream.end();
  }
}

/**
 * The Responses event stream: `response.created`, `response.in_progress`, the message item and its
 * text part opening, `response.output_text.delta`s, then the items as stored (text done, function
 * calls) and `response.completed` (or `failed`, `incomplete`, `cancelled` as `response.failed`).
 */
async function streamResponse(
  openai: OpenAIService,
  user: User,
  started: StartedTurn,
  stream: OpenAIEventStream,
  log: FastifyBaseLogger,
): Promise<void> {
  let sequence = 0;
  const emit = (type: string, fields: Record<string, unknown>) =>
    stream.send({ type, sequence_number: sequence++, ...fields }, type);
  const itemId = `msg_${started.turn.id.replaceAll('-', '')}`;
  let opened = false;
  let sent = '';
  const open = async () => {
    if (opened) return;
    opened = true;
    await emit('response.output_item.added', {
      output_index: 0,
      item: { type: 'message', id: itemId, role: 'assistant', status: 'in_progress', content: [] },
    });
    await emit('response.content_part.added', {
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [] },
    });
  };
  try {
    const initial = await openai.startedResponse(user, started);
    await emit('response.created', { response: initial });
    await emit('response.in_progress', { response: { ...initial, status: 'in_progress' } });
    const response = await openai.finishResponse(
      user,
      started,
      async (delta) => {
        await open();
        sent += delta;
        await emit('response.output_text.delta', {
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          delta,
          logprobs: [],
        });
      },
      stream.signal,
      log,
    );
    if (stream.signal.aborted) return;
    await finishItems(response, sent, opened, itemId, emit);
    const end =
      response.status === 'completed'
        ? 'response.completed'
        : response.status === 'incomplete'
          ? 'response.incomplete'
          : 'response.failed';
    await emit(end, { response });
  } catch (err) {
    const { message, code, param } = streamedError(err, log).error;
    await stream.send({ type: 'error', sequence_number: sequence++, message, code, param }, 'error');
  } finally {
    stream.end();
  }
}

/** Closes the streamed text item with the stored text, and announces the function calls. */
async function finishItems(
  response: OpenAIResponse,
  sent: string,
  opened: boolean,
  itemId: string,
  emit: (type: string, fields: Record<string, unknown>) => Promise<boolean>,
): Promise<void> {
  const text = response.output
    .flatMap((item) => (item.type === 'message' ? item.content.map((c) => c.text) : []))
    .join('');
  if (opened || text) {
    if (!opened) {
      await emit('response.output_item.added', {
        output_index: 0,
        item: { type: 'message', id: itemId, role: 'assistant', status: 'in_progress', content: [] },
      });
    }
    if (text.length > sent.length && text.startsWith(sent)) {
      await emit('response.output_text.delta', {
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        delta: text.slice(sent.length),
        logprobs: [],
      });
    }
    const part = { type: 'output_text', text, annotations: [] };
    await emit('response.output_text.done', { item_id: itemId, output_index: 0, content_index: 0, text, logprobs: [] });
    await emit('response.content_part.done', { item_id: itemId, output_index: 0, content_index: 0, part });
    await emit('response.output_item.done', {
      output_index: 0,
      item: { type: 'message', id: itemId, role: 'assistant', status: 'completed', content: [part] },
    });
  }
  const calls = response.output.filter((item) => item.type === 'function_call');
  let index = opened || text ? 1 : 0;
  for (const item of calls) {
    await emit('response.output_item.added', { output_index: index, item });
    await emit('response.output_item.done', { output_index: index, item });
    index += 1;
  }
}

/** Follows a background `store: false` response to its end, so its chat is deleted then. */
async function finishInBackground(openai: OpenAIService, user: User, started: StartedTurn, log: FastifyBaseLogger) {
  try {
    await openai.finishResponse(user, started, () => {}, undefined, log);
  } catch (err) {
    log.warn({ err }, 'background response with store: false was not deleted');
  }
}
