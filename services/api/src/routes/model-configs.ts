import type { modelConfigRoutes } from '@chatq/contracts';
import type { ModelConfigsService } from '../domain/model-configs.service.ts';
import { actorOf } from '../http/audit.ts';
import type { Handlers } from './register.ts';

export const modelConfigHandlers = (modelConfigs: ModelConfigsService): Handlers<typeof modelConfigRoutes> => ({
  createModelConfig: async (request, reply) =>
    reply.code(201).send({ model_config: await modelConfigs.create(actorOf(request), request.body) }),

  listModelConfigs: async (request) => modelConfigs.list(request.user, request.query),

  getModelConfig: async (request) => ({ model_config: await modelConfigs.get(request.user, request.params.id) }),

  updateModelConfig: async (request) => ({
    model_config: await modelConfigs.update(actorOf(request), request.params.id, request.body),
  }),

  deleteModelConfig: async (request, reply) => {
    await modelConfigs.delete(actorOf(request), request.params.id);
    return reply.code(204).send(null);
  },
});
