import {
  MCP_TOOL_LIST_QUEUE,
  type McpToolListJob,
  McpToolListResult,
  PROVIDER_CHECK_QUEUE,
  type ProviderCheckJob,
  ProviderTestResult,
  type TurnJob,
} from '@chatq/contracts';
import { ChatEventLog } from '@chatq/chat-core';
import {
  checkReadiness,
  Counter,
  createMetricsRegistry,
  createRedis,
  type Logger,
  type Migration,
  type RedisClient,
  registerQueueMetrics,
  SecretBox,
  type Sql,
  tracingEnabled,
} from '@chatq/platform';
import type { Queue } from 'bullmq';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import type { ApiConfig } from './config.ts';
import { AuditRepository } from './db/audit.repository.ts';
import { ChatsRepository } from './db/chats.repository.ts';
import { IdempotencyRepository } from './db/idempotency.repository.ts';
import { McpServersRepository } from './db/mcp-servers.repository.ts';
import { ModelConfigsRepository } from './db/model-configs.repository.ts';
import { OpenAIRepository } from './db/openai.repository.ts';
import { ProvidersRepository } from './db/providers.repository.ts';
import { RateLimitCounters } from './db/rate-limits.repository.ts';
import { ToolsRepository } from './db/tools.repository.ts';
import { UsageRepository } from './db/usage.repository.ts';
import { UsersRepository } from './db/users.repository.ts';
import { Auditor } from './domain/audit.ts';
import { AuthService } from './domain/auth.service.ts';
import { ChatsService } from './domain/chats.service.ts';
import { McpServersService } from './domain/mcp-servers.service.ts';
import { ModelConfigsService } from './domain/model-configs.service.ts';
import { OpenAIService } from './domain/openai.service.ts';
import { ProviderChecksService } from './domain/provider-checks.service.ts';
import { ProvidersService } from './domain/providers.service.ts';
import { ToolsService } from './domain/tools.service.ts';
import { UsageService } from './domain/usage.service.ts';
import { UsersService } from './domain/users.service.ts';
import { EventHub } from './events/hub.ts';
import { AuthInvalidations } from './events/auth-invalidations.ts';
import { ChatEventPublisher } from './events/publisher.ts';
import { EventStreams } from './events/streams.ts';
import { TurnFollower } from './events/turn-follower.ts';
import { AllowedMethods } from './http/allowed-methods.ts';
import { registerRefusalAudit } from './http/audit.ts';
import { identifyCallers } from './http/auth.ts';
import { registerCompression } from './http/compression.ts';
import { registerConsole } from './http/console.ts';
import { registerCors } from './http/cors.ts';
import { errorResponder, registerErrorHandling } from './http/errors.ts';
import { chatReplies, registerIdempotency } from './http/idempotency.ts';
import { registerJsonBodyParser, registerStorableParams } from './http/json-body.ts';
import { registerHttpMetrics } from './http/metrics.ts';
import { registerOpenApi } from './http/openapi.ts';
import { registerRateLimits } from './http/rate-limit.ts';
import { SseResponder } from './http/sse.ts';
import { registerHttpTracing } from './http/tracing.ts';
import { TurnEnqueuer } from './queue/turn-enqueuer.ts';
import { WorkerRequests } from './queue/worker-requests.ts';
import { auditHandlers } from './routes/audit.ts';
import { chatHandlers } from './routes/chats.ts';
import { eventHandlers } from './routes/events.ts';
import { healthHandlers } from './routes/health.ts';
import { modelConfigHandlers } from './routes/model-configs.ts';
import { openAIHandlers } from './routes/openai.ts';
import { providerHandlers } from './routes/providers.ts';
import { registerRoutes } from './routes/register.ts';
import { mcpServerHandlers, toolHandlers } from './routes/tools.ts';
import { usageHandlers } from './routes/usage.ts';
import { userHandlers } from './routes/users.ts';

/** What the API needs from the outside world; main.ts (or a test) builds these. */
export interface ApiDeps {
  config: ApiConfig;
  logger: Logger;
  sql: Sql;
  redis: RedisClient;
  queue: Queue<TurnJob>;
  migrations: Migration[];
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The process's event multiplexer (its stats show what open streams hold). */
    eventHub: EventHub;
  }
}

const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Wires repositories, services and routes into a fastify app. No I/O happens here. */
export function buildApp(deps: ApiDeps): FastifyInstance {
  // Repositories' queries join a request's transaction when it has one (see db/transaction.ts).
  const { config, sql } = deps;
  const secrets = new SecretBox(config.secretKey, config.secretKeyPrevious);
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Bounds reading a request, headers and body, so slow senders cannot hold sockets open (node
    // checks every connectionsCheckingInterval). A GET's request ends with its headers, so an event
    // stream, once open, is not bound by it.
    requestTimeout: config.requestTimeoutMs,
    http: {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, config.requestTimeoutMs),
    },
    // Off, X-Forwarded-For is ignored: request.ip (per-IP limits, logs) is the peer's address.
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // `/api/v1/chats/` is `/api/v1/chats`, as clients and proxies that add the slash expect.
    routerOptions: { ignoreTrailingSlash: true },
    // A URL fastify cannot decode goes to the one error handler too (OpenAI's shape under /openai/v1).
    frameworkErrors: (err, request, reply) => void errorResponder(config.bodyLimitBytes)(err, request, reply),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const routes = new AllowedMethods(app);
  registerErrorHandling(app, routes);
  registerJsonBodyParser(app);
  registerStorableParams(app);
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
  // Before the hooks that identify and count callers: preflights need neither.
  if (config.corsOrigins) registerCors(app, config.corsOrigins, routes);
  registerCompression(app);

  registerOpenApi(app);
  registerConsole(app);

  const users = new UsersRepository(sql);
  // Each needs the other: the cache asks whether invalidations arrive, they tell it what to forget.
  const auth: AuthService = new AuthService(users, {
    listening: (): boolean => invalidations.subscribed,
    logger: deps.logger,
  });
  const invalidations: AuthInvalidations = new AuthInvalidations({
    publisher: deps.redis,
    subscriber: createRedis(
      config.redisUrl,
      'consumer',
      { lazyConnect: true, autoResubscribe: false, connectionName: `${config.queuePrefix}:auth` },
      config.redisCluster,
    ),
    prefix: config.queuePrefix,
    cache: auth,
    logger: deps.logger,
  });
  app.addHook('onReady', async () => invalidations.start());
  app.addHook('onClose', () => invalidations.close());
  identifyCallers(app, auth);
  registerRateLimits(app, {
    counters: new RateLimitCounters(deps.redis, config.queuePrefix),
    settings: config.rateLimits,
    logger: deps.logger,
  });
  const idempotencyKeys = new IdempotencyRepository(sql);
  registerIdempotency(app, {
    sql,
    keys: idempotencyKeys,
    secrets,
    ttlSeconds: config.idempotencyTtlSeconds,
    pruneIntervalMs: config.idempotencyPruneIntervalMs,
    logger: deps.logger,
  });

  // Every admin service changes rows through it, so each change and its event share a transaction.
  const audit = new Auditor(sql, new AuditRepository(sql));
  registerRefusalAudit(app, audit, deps.logger);
  const usersService = new UsersService({
    audit,
    users,
    invalidate: (userId) => invalidations.announce(userId),
    maxTokensPerUser: config.maxTokensPerUser,
  });
  const providersRepository = new ProvidersRepository(sql);
  const providers = new ProvidersService(providersRepository, secrets, audit);
  const modelConfigs = new ModelConfigsService(new ModelConfigsRepository(sql), audit);
  const usage = new UsageService(new UsageRepository(sql), config.spendDefault);
  const redisOptions = {
    redisUrl: config.redisUrl,
    redisCluster: config.redisCluster,
    prefix: config.queuePrefix,
    logger: deps.logger,
  };
  const checker = new WorkerRequests<ProviderCheckJob, ProviderTestResult>(deps.redis, {
    ...redisOptions,
    queue: PROVIDER_CHECK_QUEUE,
    result: ProviderTestResult,
    timeoutMs: config.providerCheckTimeoutMs,
    messages: {
      notQueued: 'Queue unavailable; the provider check was not sent.',
      timedOut: 'No worker answered the provider check in time; is a worker running?',
    },
  });
  const checks = new ProviderChecksService(providersRepository, checker);
  app.addHook('onClose', () => checker.close());
  const tools = new ToolsService(new ToolsRepository(sql), secrets, audit);
  const mcpListings = new WorkerRequests<McpToolListJob, McpToolListResult>(deps.redis, {
    ...redisOptions,
    queue: MCP_TOOL_LIST_QUEUE,
    result: McpToolListResult,
    timeoutMs: config.mcpListTimeoutMs,
    messages: {
      notQueued: 'Queue unavailable; the MCP server was not asked for its tools.',
      timedOut: 'No worker answered the MCP tool listing in time; is a worker running?',
    },
  });
  const mcpServers = new McpServersService(new McpServersRepository(sql), secrets, mcpListings, audit);
  app.addHook('onClose', () => mcpListings.close());
  const eventLog = new ChatEventLog(deps.redis, config.events);
  const chats = new ChatsService({
    sql,
    chats: new ChatsRepository(sql, config.spendDefault),
    spendRefusals: new Counter({
      name: 'chatq_spend_refusals_total',
      help: 'Sends, edits and chat creations refused (402) by the caller’s spend limit',
      registers: [metrics],
    }),
    enqueuer: new TurnEnqueuer(deps.queue, config.enqueueTimeoutMs),
    events: new ChatEventPublisher(eventLog, config.enqueueTimeoutMs),
    replies: chatReplies(idempotencyKeys, secrets),
  });
  const hub = new EventHub({
    log: eventLog,
    commands: deps.redis,
    connect: () =>
      createRedis(config.redisUrl, 'producer', { lazyConnect: true, connectionName: `${config.queuePrefix}:events` }),
    logger: deps.logger,
  });
  const streams = new EventStreams(hub, eventLog, new SseResponder(config.heartbeatMs), config.maxStreamsPerUser);
  app.decorate('eventHub', hub);
  const openaiReads = new OpenAIRepository(sql);
  const openai = new OpenAIService({
    sql,
    chats,
    reads: openaiReads,
    follower: new TurnFollower({ hub, log: eventLog, statusOf: (turnId) => openaiReads.turnStatus(turnId) }),
  });
  // Event streams never end by themselves: close them so the server can drain.
  app.addHook('preClose', () => streams.close());

  registerRoutes(app, {
    ...healthHandlers(() => checkReadiness({ ...deps, draining: closing })),
    ...userHandlers(usersService),
    ...providerHandlers(providers, checks),
    ...toolHandlers(tools),
    ...mcpServerHandlers(mcpServers),
    ...modelConfigHandlers(modelConfigs),
    ...chatHandlers(chats),
    ...usageHandlers(usage),
    ...auditHandlers(audit),
    ...eventHandlers(chats, streams),
    ...openAIHandlers(openai),
  });
  return app;
}
