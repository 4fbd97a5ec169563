import {
  CreateProviderBody,
  IdParams,
  NoContent,
  PageQuery,
  ProviderList,
  ProviderResponse,
  UpdateProviderBody,
} from '@chatq/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ProvidersService } from '../domain/providers.service.ts';
import { adminOnly } from '../http/auth.ts';

/** Provider administration: every route is admin-only. */
export const providerRoutes: FastifyPluginAsyncZod<{ providers: ProvidersService }> = async (app, { providers }) => {
  app.addHook('preHandler', adminOnly);

  app.post(
    '/providers',
    { schema: { body: CreateProviderBody, response: { 201: ProviderResponse } } },
    async (request, reply) => reply.code(201).send({ provider: await providers.create(request.body) }),
  );

  app.get('/providers', { schema: { querystring: PageQuery, response: { 200: ProviderList } } }, async (request) =>
    providers.list(request.query),
  );

  app.get('/providers/:id', { schema: { params: IdParams, response: { 200: ProviderResponse } } }, async (request) => ({
    provider: await providers.get(request.params.id),
  }));

  app.patch(
    '/providers/:id',
    { schema: { params: IdParams, body: UpdateProviderBody, response: { 200: ProviderResponse } } },
    async (request) => ({ provider: await providers.update(request.params.id, request.body) }),
  );

  app.delete(
    '/providers/:id',
    { schema: { params: IdParams, response: { 204: NoContent } } },
    async (request, reply) => {
      await providers.delete(request.params.id);
      return reply.code(204).send(null);
    },
  );
};
