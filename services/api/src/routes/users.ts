import { CreatedToken, CreateUserBody, IdParams, UpdateUserBody, UserResponse } from '@chatq/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { UsersService } from '../domain/users.service.ts';
import { adminOnly } from '../http/auth.ts';

export const userRoutes: FastifyPluginAsyncZod<{ users: UsersService }> = async (app, { users }) => {
  app.post(
    '/users',
    { preHandler: adminOnly, schema: { body: CreateUserBody, response: { 201: UserResponse } } },
    async (request, reply) => reply.code(201).send({ user: await users.create(request.body) }),
  );

  app.patch(
    '/users/:id',
    { preHandler: adminOnly, schema: { params: IdParams, body: UpdateUserBody, response: { 200: UserResponse } } },
    async (request) => ({ user: await users.update(request.params.id, request.body) }),
  );

  app.get('/users/me', { schema: { response: { 200: UserResponse } } }, async (request) => ({ user: request.user }));

  app.post(
    '/users/:id/tokens',
    { schema: { params: IdParams, response: { 201: CreatedToken } } },
    async (request, reply) => reply.code(201).send({ token: await users.createToken(request.user, request.params.id) }),
  );
};
