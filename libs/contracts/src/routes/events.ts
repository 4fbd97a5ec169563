import { ChatParams } from '../chats.ts';
import { ChatEvent, ChatStatusChange, EventId, EventsQuery } from '../events.ts';
import { z } from 'zod';
import { defineRoutes } from './define.ts';
import { ERRORS } from './errors.ts';

/** What EventSource resends on reconnect; it wins over `?after=`. */
const ResumeHeaders = z.object({
  'last-event-id': EventId.optional().describe('Resume after this event (what EventSource resends on reconnect).'),
});

const SSE =
  'Server-Sent Events: each event’s `id:` is its event id (resume with `Last-Event-ID` or `?after=`), ' +
  '`event:` its `type` and `data:` its `data` as JSON; comment lines are heartbeats.';

export const eventRoutes = defineRoutes({
  streamChatEvents: {
    method: 'GET',
    path: '/api/v1/chats/{chat_id}/events',
    tag: 'events',
    auth: 'member',
    summary: 'Stream a chat’s events',
    description:
      'Everything that happens in the chat as it happens: messages, reply text as the model writes it, turn ' +
      'and chat status. A client that joins mid-reply first gets the text so far. The stream stays open.',
    params: ChatParams,
    query: EventsQuery,
    headers: ResumeHeaders,
    responses: { 200: { description: SSE, schema: ChatEvent, mediaType: 'text/event-stream' } },
    errors: { 404: [ERRORS.chatNotFound], 429: [ERRORS.tooManyStreams], 503: [ERRORS.eventStreamUnavailable] },
  },
  watchChats: {
    method: 'GET',
    path: '/api/v1/chats/watch',
    tag: 'events',
    auth: 'member',
    summary: 'Watch your chats',
    description: 'A `chat.status` event whenever one of the caller’s chats changes status. The stream stays open.',
    query: EventsQuery,
    headers: ResumeHeaders,
    responses: { 200: { description: SSE, schema: ChatStatusChange, mediaType: 'text/event-stream' } },
    errors: { 429: [ERRORS.tooManyStreams], 503: [ERRORS.eventStreamUnavailable] },
  },
});
