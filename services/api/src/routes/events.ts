import { ChatParams, EventId, EventsQuery, EventStreamBody } from '@chatq/contracts';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ChatsService } from '../domain/chats.service.ts';
import { BadRequestError } from '../domain/errors.ts';
import type { EventStreams } from '../events/streams.ts';

/** Where to resume: the Last-Event-ID header (what EventSource resends) wins over `?after=`. */
function resumeFrom(request: FastifyRequest<{ Querystring: { after?: string } }>): string | undefined {
  const header = request.headers['last-event-id'];
  if (header === undefined) return request.query.after;
  const parsed = EventId.safeParse(header);
  if (!parsed.success) {
    throw new BadRequestError('Invalid request.', undefined, [
      { field: 'headers.last-event-id', detail: 'must be an event id this API sent' },
    ]);
  }
  return parsed.data;
}

/** Server-Sent Events: one chat's events, and the caller's chats' status changes. */
export const eventRoutes: FastifyPluginAsyncZod<{ chats: ChatsService; streams: EventStreams }> = async (
  app,
  { chats, streams },
) => {
  app.get(
    '/chats/watch',
    { schema: { querystring: EventsQuery, produces: ['text/event-stream'], response: { 200: EventStreamBody } } },
    async (request, reply) => {
      await streams.serve(request, reply, streams.ownerKey(request.user.id), resumeFrom(request));
      return reply;
    },
  );

  app.get(
    '/chats/:chat_id/events',
    {
      schema: {
        params: ChatParams,
        querystring: EventsQuery,
        produces: ['text/event-stream'],
        response: { 200: EventStreamBody },
      },
    },
    async (request, reply) => {
      await chats.get(request.user, request.params.chat_id);
      await streams.serve(request, reply, streams.chatKey(request.params.chat_id), resumeFrom(request));
      return reply;
    },
  );
};
