import type { chatRoutes } from '@chatq/contracts';
import type { ChatsService } from '../domain/chats.service.ts';
import type { Handlers } from './register.ts';

/** Chats belong to their creator: every lookup is by (owner, id), so another user's chat is a 404. */
export const chatHandlers = (chats: ChatsService): Handlers<typeof chatRoutes> => ({
  createChat: async (request, reply) =>
    reply.code(201).send(await chats.create(request.user, request.body, request.log)),

  listChats: async (request) => chats.list(request.user, request.query),

  getChat: async (request) => ({ chat: await chats.get(request.user, request.params.chat_id) }),

  updateChat: async (request) => ({ chat: await chats.update(request.user, request.params.chat_id, request.body) }),

  deleteChat: async (request, reply) => {
    await chats.delete(request.user, request.params.chat_id, request.log);
    return reply.code(204).send(null);
  },

  sendMessage: async (request, reply) => {
    const outcome = await chats.send(request.user, request.params.chat_id, request.body, request.log);
    return 'queued_message' in outcome ? reply.code(202).send(outcome) : reply.code(201).send(outcome);
  },

  listMessages: async (request) => chats.messages(request.user, request.params.chat_id, request.query),

  interruptChat: async (request) => ({
    chat: await chats.interrupt(request.user, request.params.chat_id, request.log),
  }),

  deleteQueuedMessage: async (request, reply) => {
    await chats.deleteQueued(request.user, request.params.chat_id, request.params.id, request.log);
    return reply.code(204).send(null);
  },

  editMessage: async (request) =>
    chats.edit(request.user, request.params.chat_id, request.params.message_id, request.body, request.log),

  getTurn: async (request) => ({
    turn: await chats.turn(request.user, request.params.chat_id, request.params.turn_id),
  }),

  submitToolOutputs: async (request) => ({
    turn: await chats.submitToolOutputs(
      request.user,
      request.params.chat_id,
      request.params.turn_id,
      request.body,
      request.log,
    ),
  }),

  decideApprovals: async (request) => ({
    turn: await chats.decideApprovals(
      request.user,
      request.params.chat_id,
      request.params.turn_id,
      request.body,
      request.log,
    ),
  }),
});
