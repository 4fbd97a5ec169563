import { EventId, type eventRoutes } from '@chatq/contracts';
import type { FastifyRequest } from 'fastify';
import type { ChatsService } from '../domain/chats.service.ts';
import { BadRequestError } from '../domain/errors.ts';
import type { EventStreams } from '../events/streams.ts';
import type { Handlers } from './register.ts';

/** Where to resume: the Last-Event-ID header (what EventSource resends) wins over `?after=`. */
function resumeFrom(request: FastifyRequest, after: string | undefined): string | undefined {
  const header = request.headers['last-event-id'];
  if (header === undefined) return after;
  const parsed = EventId.safeParse(header);
  if (!parsed.success) {
    throw new BadRequestError('Invalid request.', undefined, [
      { field: 'headers.last-event-id', detail: 'must be an event id this API sent' },
    ]);
  }
  return parsed.data;
}

/** Server-Sent Events: one chat's events, and the caller's chats' status changes. */
export const eventHandlers = (chats: ChatsService, streams: EventStreams): Handlers<typeof eventRoutes> => ({
  watchChats: async (request, reply) => {
    await streams.serve(request, reply, streams.ownerKey(request.user.id), resumeFrom(request, request.query.after));
    return reply;
  },

  streamChatEvents: async (request, reply) => {
    await chats.get(request.user, request.params.chat_id);
    const key = streams.chatKey(request.params.chat_id);
    await streams.serve(request, reply, key, resumeFrom(request, request.query.after));
    return reply;
  },
});
