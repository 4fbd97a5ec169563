import {
  MAX_TOOL_OUTPUT_CHARS,
  MCP_TOOL_LIST_QUEUE,
  type McpToolListJob,
  type McpToolListResult,
  PROVIDER_CHECK_QUEUE,
  type ProviderCheckJob,
  type ProviderTestResult,
  type Readiness,
  TURN_QUEUE,
  type TurnJob,
} from '@chatq/contracts';
import { addTurnJob, ChatEventLog, createTurnQueue } from '@chatq/chat-core';
import {
  checkReadiness,
  closeRedis,
  createRedis,
  loadMigrations,
  type Logger,
  queueTelemetry,
  redisErrorLog,
  type Registry,
  SecretBox,
  type Sql,
} from '@chatq/platform';
import { Worker } from 'bullmq';
import type { WorkerConfig } from './config.ts';
import { TurnAborts } from './control/turn-aborts.ts';
import { McpServersRepository } from './db/mcp-servers.repository.ts';
import { ProvidersRepository } from './db/providers.repository.ts';
import { TurnsRepository } from './db/turns.repository.ts';
import { turnBackoff } from './jobs/backoff.ts';
import { createProviderCheckProcessor } from './jobs/check-provider.ts';
import { retryThroughDatabaseOutages } from './jobs/database-outage.ts';
import { drainWorker, InFlightJobs } from './jobs/hand-back.ts';
import { createMcpToolListProcessor } from './jobs/list-mcp-tools.ts';
import { relayOutbox, startRelay } from './jobs/relay.ts';
import { startRequestWorker } from './jobs/request-worker.ts';
import { createTurnProcessor, type TurnJobResult } from './jobs/run-turn.ts';
import type { ToolDeps } from './jobs/agent-loop.ts';
import { createTurnEnder } from './jobs/turn-ended.ts';
import { routeSdkWarnings } from './llm/ai-sdk.ts';
import { createModelCaller } from './llm/registry.ts';
import { limitReply } from './llm/reply-limit.ts';
import type { ModelCaller } from './llm/types.ts';
import { createWorkerMetrics } from './metrics.ts';
import { createSafeFetch, MAX_ERROR_BODY_BYTES } from './outbound.ts';
import { listMcpOffers, runMcpCall } from './tools/mcp.ts';
import { traceModelCalls } from './tracing.ts';

export interface TurnWorkerDeps {
  config: WorkerConfig;
  logger: Logger;
  sql: Sql;
  /** Injected by tests that need a different model behaviour; production uses the registry. */
  callModel?: ModelCaller;
}

/**
 * A running worker: BullMQ consumers, outbox relay and stop listener. `close` drains in-flight turns;
 * given `handBackAfterMs`, turns still running after that long go back to the queue for another worker.
 */
export interface TurnWorker {
  worker: Worker<TurnJob, TurnJobResult>;
  /** Answers provider checks (POST /providers/{id}/test), where the keys can be opened. */
  checks: Worker<ProviderCheckJob, ProviderTestResult>;
  /** Answers MCP tool listings (GET /mcp-servers/{id}/tools), where the secret headers can be opened. */
  mcpListings: Worker<McpToolListJob, McpToolListResult>;
  /** What `/metrics` serves for this worker. */
  metrics: Registry;
  /** What `/readyz` reports: dependencies up, migrations applied, not draining. */
  readiness: () => Promise<Readiness>;
  close: (handBackAfterMs?: number) => Promise<void>;
}

/** Wires the turn processor, its BullMQ worker and the outbox relay. */
export function startTurnWorker(deps: TurnWorkerDeps): TurnWorker {
  const { config, logger, sql } = deps;
  const turns = new TurnsRepository(sql, config.spendDefault);
  const consumer = createRedis(config.redisUrl, 'consumer', {}, config.redisCluster);
  const producer = createRedis(config.redisUrl, 'consumer', {}, config.redisCluster);
  const queue = createTurnQueue(producer, config.queuePrefix);
  queue.on('error', redisErrorLog(logger, 'debug', 'queue error'));
  // Events give up after one reconnect while Redis is away (a turn must not wait on them), but may
  // be sent before the first connect completes; stop messages need a connection in subscriber mode.
  // Auto-pipelining folds the appends of all running turns into one socket write per tick.
  const eventsRedis = createRedis(
    config.redisUrl,
    'producer',
    { enableOfflineQueue: true, enableAutoPipelining: true },
    config.redisCluster,
  );
  eventsRedis.on('error', redisErrorLog(logger, 'debug', 'events connection error'));
  const events = new ChatEventLog(eventsRedis, config.events);
  const controlRedis = createRedis(config.redisUrl, 'consumer', {}, config.redisCluster);
  const aborts = new TurnAborts(controlRedis, events.controlChannel, logger);
  const metrics = createWorkerMetrics(queue);
  const migrations = loadMigrations();

  routeSdkWarnings(logger);
  const secrets = new SecretBox(config.secretKey, config.secretKeyPrevious);
  const call = limitReply(
    deps.callModel ??
      createModelCaller({ allowLinkLocal: config.providerAllowLinkLocal, maxReplyChars: config.maxReplyChars }),
    config.maxReplyChars,
  );
  const ended = createTurnEnder({ events, enqueue: (job) => addTurnJob(queue, job) });
  // Webhook and MCP urls follow the provider rules (PROVIDER_ALLOW_LINK_LOCAL); a tool's answer is
  // bounded by MAX_TOOL_OUTPUT_CHARS, a line of an MCP stream by twice that (JSON-RPC framing).
  const toolFetch = createSafeFetch(
    { allowLinkLocal: config.providerAllowLinkLocal, allowLinkLocalSetting: 'PROVIDER_ALLOW_LINK_LOCAL' },
    { maxErrorBodyBytes: MAX_ERROR_BODY_BYTES, maxLineBytes: 2 * MAX_TOOL_OUTPUT_CHARS + 64 * 1024 },
  );
  const tools = (log: Logger): ToolDeps => {
    const mcp = { secrets, fetch: toolFetch, log };
    return {
      webhookFetch: toolFetch,
      listMcp: (servers, signal) => listMcpOffers(servers, mcp, signal),
      callMcp: (server, tool, input, signal) => runMcpCall(server, tool, input, mcp, signal),
    };
  };
  const processor = createTurnProcessor({
    turns,
    secrets,
    callModel: traceModelCalls(metrics.instrument(call)),
    tools,
    metrics,
    logger,
    maxTurnAttempts: config.maxTurnAttempts,
    providerTimeoutMs: config.providerTimeoutMs,
    turnDeadlineMs: config.turnDeadlineMs,
    events,
    aborts,
    ended,
  });

  const inFlight = new InFlightJobs<TurnJob>();
  const worker = new Worker<TurnJob, TurnJobResult>(
    TURN_QUEUE,
    inFlight.track(retryThroughDatabaseOutages(processor, logger)),
    {
      connection: consumer,
      prefix: config.queuePrefix,
      concurrency: config.concurrency,
      lockDuration: config.lockDurationMs,
      stalledInterval: config.stalledIntervalMs,
      // Crashes are bounded by the claim count in Postgres (WORKER_MAX_TURN_ATTEMPTS), which also
      // records why the turn failed; BullMQ's own stall limit only has to be higher than that. Its
      // `attempts` is a ceiling too (TURN_ATTEMPTS_CEILING): the processor decides the last attempt.
      maxStalledCount: config.maxTurnAttempts + 1,
      settings: {
        backoffStrategy: (attemptsMade, _type, err) => turnBackoff(attemptsMade, err, Math.random, config.retryBaseMs),
      },
      telemetry: queueTelemetry(),
    },
  );
  worker.on('error', redisErrorLog(logger, 'error', 'worker error'));
  // A job that failed for good without its turn being failed (an error outside the provider call,
  // on its last attempt) would leave the chat busy: fail the turn, unless a newer claim or change
  // owns it, and end it as any other end of a turn. A turn its own job already failed is stale here.
  worker.on('failed', (job, err) => {
    if (!job?.finishedOn) return;
    const { turn_id, chat_id, generation } = job.data;
    const log = logger.child({ job_id: job.id, chat_id, turn_id });
    log.error({ err }, 'turn job failed for good');
    const error = `turn failed after ${job.attemptsMade} attempts (internal error)`;
    turns
      .fail(turn_id, null, error)
      .then((finish) => ended({ chatId: chat_id, turn: { id: turn_id, generation }, finish, error }, log))
      .catch((e: unknown) => log.warn({ err: e }, 'could not record the turn failure'));
  });
  metrics.watch(worker);

  const requestQueues = {
    redisUrl: config.redisUrl,
    redisCluster: config.redisCluster,
    prefix: config.queuePrefix,
    concurrency: config.checkConcurrency,
    logger,
  };
  const checks = startRequestWorker(
    PROVIDER_CHECK_QUEUE,
    createProviderCheckProcessor({
      providers: new ProvidersRepository(sql),
      secrets,
      callModel: call,
      logger,
      providerTimeoutMs: config.providerTimeoutMs,
    }),
    requestQueues,
  );
  const mcpListings = startRequestWorker(
    MCP_TOOL_LIST_QUEUE,
    createMcpToolListProcessor({ servers: new McpServersRepository(sql), secrets, logger }),
    requestQueues,
  );
  const relay = startRelay(
    () => relayOutbox(turns, queue, config.relayAfterMs, logger),
    config.relayIntervalMs,
    logger,
  );

  return {
    worker,
    checks: checks.worker,
    mcpListings: mcpListings.worker,
    metrics: metrics.registry,
    readiness: async () =>
      checkReadiness({ sql, redis: producer, migrations: await migrations, draining: worker.closing !== undefined }),
    close: async (handBackAfterMs) => {
      await relay.stop();
      await Promise.all([
        drainWorker(worker, inFlight, handBackAfterMs, logger),
        checks.close(handBackAfterMs),
        mcpListings.close(handBackAfterMs),
      ]);
      const goodbye = async () => {
        await queue.close();
        await aborts.close();
        await Promise.allSettled([consumer.quit(), producer.quit(), eventsRedis.quit()]);
      };
      await closeRedis([goodbye()], [consumer, producer, eventsRedis, controlRedis]);
    },
  };
}
