import {
  CreateModelConfigBody,
  IdParams,
  ModelConfigList,
  ModelConfigResponse,
  NoContent,
  PageQuery,
  UpdateModelConfigBody,
} from '@chatq/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ModelConfigsService } from '../domain/model-configs.service.ts';
import { adminOnly } from '../http/auth.ts';

export const modelConfigRoutes: FastifyPluginAsyncZod<{ modelConfigs: ModelConfigsService }> = async (
  app,
  { modelConfigs },
) => {
  app.post(
    '/model-configs',
    { preHandler: adminOnly, schema: { body: CreateModelConfigBody, response: { 201: ModelConfigResponse } } },
    async (request, reply) => reply.code(201).send({ model_config: await modelConfigs.create(request.body) }),
  );

  app.get(
    '/model-configs',
    { schema: { querystring: PageQuery, response: { 200: ModelConfigList } } },
    async (request) => modelConfigs.list(request.user, request.query),
  );

  app.get(
    '/model-configs/:id',
    { schema: { params: IdParams, response: { 200: ModelConfigResponse } } },
    async (request) => ({
      model_config: await modelConfigs.get(request.user, request.params.id),
    }),
  );

  app.patch(
    '/model-configs/:id',
    {
      preHandler: adminOnly,
      schema: { params: IdParams, body: UpdateModelConfigBody, response: { 200: ModelConfigResponse } },
    },
    async (request) => ({ model_config: await modelConfigs.update(request.params.id, request.body) }),
  );

  app.delete(
    '/model-configs/:id',
    { preHandler: adminOnly, schema: { params: IdParams, response: { 204: NoContent } } },
    async (request, reply) => {
      await modelConfigs.delete(request.params.id);
      return reply.code(204).send(null);
    },
  );
};
