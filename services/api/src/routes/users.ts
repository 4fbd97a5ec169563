import type { userRoutes } from '@chatq/contracts';
import type { UsersService } from '../domain/users.service.ts';
import { actorOf } from '../http/audit.ts';
import type { Handlers } from './register.ts';

export const userHandlers = (users: UsersService): Handlers<typeof userRoutes> => ({
  createUser: async (request, reply) =>
    reply.code(201).send({ user: await users.create(actorOf(request), request.body) }),

  listUsers: async (request) => users.list(request.query),

  updateUser: async (request) => ({ user: await users.update(actorOf(request), request.params.id, request.body) }),

  getMe: async (request) => ({ user: request.user }),

  createToken: async (request, reply) =>
    reply.code(201).send(await users.createToken(actorOf(request), request.params.id, request.body ?? {})),

  listTokens: async (request) => users.listTokens(request.user, request.params.id, request.query),

  revokeToken: async (request, reply) => {
    await users.revokeToken(actorOf(request), request.params.id, request.params.token_id);
    return reply.code(204).send(null);
  },
});
