import {
  ChatList,
  ChatParams,
  ChatResponse,
  CreateChatBody,
  CreateChatResponse,
  EditMessageBody,
  ListChatsQuery,
  ListMessagesQuery,
  MessageList,
  MessageParams,
  MessageTurnResponse,
  NoContent,
  QueuedMessageParams,
  QueuedMessageResponse,
  SendMessageBody,
  TurnParams,
  TurnResponse,
  UpdateChatBody,
} from '@chatq/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ChatsService } from '../domain/chats.service.ts';

const hasContent = (body: unknown) => typeof body === 'object' && body !== null && 'content' in body;

/** Chats belong to their creator: every lookup is by (owner, id), so another user's chat is a 404. */
export const chatRoutes: FastifyPluginAsyncZod<{ chats: ChatsService }> = async (app, { chats }) => {
  app.post(
    '/chats',
    {
      config: { startsTurn: hasContent },
      schema: { body: CreateChatBody, response: { 201: CreateChatResponse } },
    },
    async (request, reply) => reply.code(201).send(await chats.create(request.user, request.body, request.log)),
  );

  app.get('/chats', { schema: { querystring: ListChatsQuery, response: { 200: ChatList } } }, async (request) =>
    chats.list(request.user, request.query),
  );

  app.get('/chats/:chat_id', { schema: { params: ChatParams, response: { 200: ChatResponse } } }, async (request) => ({
    chat: await chats.get(request.user, request.params.chat_id),
  }));

  app.patch(
    '/chats/:chat_id',
    { schema: { params: ChatParams, body: UpdateChatBody, response: { 200: ChatResponse } } },
    async (request) => ({ chat: await chats.update(request.user, request.params.chat_id, request.body) }),
  );

  app.delete(
    '/chats/:chat_id',
    { schema: { params: ChatParams, response: { 204: NoContent } } },
    async (request, reply) => {
      await chats.delete(request.user, request.params.chat_id, request.log);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/chats/:chat_id/messages',
    {
      config: { startsTurn: true },
      schema: {
        params: ChatParams,
        body: SendMessageBody,
        response: { 201: MessageTurnResponse, 202: QueuedMessageResponse },
      },
    },
    async (request, reply) => {
      const outcome = await chats.send(request.user, request.params.chat_id, request.body, request.log);
      return reply.code('queued_message' in outcome ? 202 : 201).send(outcome);
    },
  );

  app.get(
    '/chats/:chat_id/messages',
    { schema: { params: ChatParams, querystring: ListMessagesQuery, response: { 200: MessageList } } },
    async (request) => chats.messages(request.user, request.params.chat_id, request.query),
  );

  app.post(
    '/chats/:chat_id/interrupt',
    { schema: { params: ChatParams, response: { 200: ChatResponse } } },
    async (request) => ({ chat: await chats.interrupt(request.user, request.params.chat_id, request.log) }),
  );

  app.delete(
    '/chats/:chat_id/queue/:id',
    { schema: { params: QueuedMessageParams, response: { 204: NoContent } } },
    async (request, reply) => {
      await chats.deleteQueued(request.user, request.params.chat_id, request.params.id, request.log);
      return reply.code(204).send(null);
    },
  );

  app.patch(
    '/chats/:chat_id/messages/:message_id',
    {
      config: { startsTurn: true },
      schema: { params: MessageParams, body: EditMessageBody, response: { 200: MessageTurnResponse } },
    },
    async (request) =>
      chats.edit(request.user, request.params.chat_id, request.params.message_id, request.body, request.log),
  );

  app.get(
    '/chats/:chat_id/turns/:turn_id',
    { schema: { params: TurnParams, response: { 200: TurnResponse } } },
    async (request) => ({
      turn: await chats.turn(request.user, request.params.chat_id, request.params.turn_id),
    }),
  );
};
