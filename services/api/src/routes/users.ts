import type { userRoutes } from '@chatq/contracts';
import type { UsersService } from '../domain/users.service.ts';
import type { Handlers } from './register.ts';

export const userHandlers = (users: UsersService): Handlers<typeof userRoutes> => ({
  createUser: async (request, reply) => reply.code(201).send({ user: await users.create(request.body) }),

  updateUser: async (request) => ({ user: await users.update(request.params.id, request.body) }),

  getMe: async (request) => ({ user: request.user }),

  createToken: async (request, reply) =>
    reply.code(201).send({ token: await users.createToken(request.user, request.params.id) }),
});
