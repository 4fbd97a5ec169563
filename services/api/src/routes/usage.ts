import { ChatParams, ChatUsageResponse, IdParams, UsageQuery, UserUsageResponse } from '@chatq/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { UsageService } from '../domain/usage.service.ts';

export const usageRoutes: FastifyPluginAsyncZod<{ usage: UsageService }> = async (app, { usage }) => {
  app.get(
    '/chats/:chat_id/usage',
    { schema: { params: ChatParams, response: { 200: ChatUsageResponse } } },
    async (request) => ({
      chat_id: request.params.chat_id,
      usage: await usage.forChat(request.user, request.params.chat_id),
    }),
  );

  app.get(
    '/users/me/usage',
    { schema: { querystring: UsageQuery, response: { 200: UserUsageResponse } } },
    async (request) => ({
      user_id: request.user.id,
      from: request.query.from ?? null,
      to: request.query.to ?? null,
      usage: await usage.forUser(request.user, request.user.id, request.query),
    }),
  );

  app.get(
    '/users/:id/usage',
    { schema: { params: IdParams, querystring: UsageQuery, response: { 200: UserUsageResponse } } },
    async (request) => ({
      user_id: request.params.id,
      from: request.query.from ?? null,
      to: request.query.to ?? null,
      usage: await usage.forUser(request.user, request.params.id, request.query),
    }),
  );
};
