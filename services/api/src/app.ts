import type { TurnJob } from '@chatq/contracts';
import {
  checkReadiness,
  createMetricsRegistry,
  type Logger,
  type Migration,
  type RedisClient,
  registerQueueMetrics,
  SecretBox,
  type Sql,
  tracingEnabled,
} from '@chatq/platform';
import type { Queue } from 'bullmq';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import type { ApiConfig } from './config.ts';
import { ChatsRepository } from './db/chats.repository.ts';
import { ModelConfigsRepository } from './db/model-configs.repository.ts';
import { ProvidersRepository } from './db/providers.repository.ts';
import { UsersRepository } from './db/users.repository.ts';
import { AuthService } from './domain/auth.service.ts';
import { ChatsService } from './domain/chats.service.ts';
import { ModelConfigsService } from './domain/model-configs.service.ts';
import { ProvidersService } from './domain/providers.service.ts';
import { UsersService } from './domain/users.service.ts';
import { requireAuth } from './http/auth.ts';
import { registerErrorHandling } from './http/errors.ts';
import { registerHttpMetrics } from './http/metrics.ts';
import { registerHttpTracing } from './http/tracing.ts';
import { TurnEnqueuer } from './queue/turn-enqueuer.ts';
import { chatRoutes } from './routes/chats.ts';
import { healthRoutes } from './routes/health.ts';
import { modelConfigRoutes } from './routes/model-configs.ts';
import { providerRoutes } from './routes/providers.ts';
import { userRoutes } from './routes/users.ts';

/** What the API needs from the outside world; main.ts (or a test) builds these. */
export interface ApiDeps {
  config: ApiConfig;
  logger: Logger;
  sql: Sql;
  redis: RedisClient;
  queue: Queue<TurnJob>;
  migrations: Migration[];
}

const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Wires repositories, services and routes into a fastify app. No I/O happens here. */
export function buildApp(deps: ApiDeps): FastifyInstance {
  const { config, sql } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    requestIdLogLabel: 'request_id',
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  const metrics = createMetricsRegistry('api');
  registerQueueMetrics(metrics, deps.queue);
  registerHttpMetrics(app, metrics);
  if (tracingEnabled()) registerHttpTracing(app);
  // While draining, answers in flight close their keep-alive sockets so close() can finish.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  const users = new UsersRepository(sql);
  const auth = new AuthService(users);
  const usersService = new UsersService(users);
  const providers = new ProvidersService(new ProvidersRepository(sql), new SecretBox(config.secretKey));
  const modelConfigs = new ModelConfigsService(sql, new ModelConfigsRepository(sql));
  const chats = new ChatsService(new ChatsRepository(sql), new TurnEnqueuer(deps.queue, config.enqueueTimeoutMs));

  void app.register(healthRoutes, { check: () => checkReadiness({ ...deps, draining: closing }) });
  void app.register(
    async (api) => {
      requireAuth(api, auth);
      await api.register(userRoutes, { users: usersService });
      await api.register(providerRoutes, { providers });
      await api.register(modelConfigRoutes, { modelConfigs });
      await api.register(chatRoutes, { chats });
    },
    { prefix: '/api/v1' },
  );
  return app;
}
