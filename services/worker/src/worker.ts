import { type Readiness, TURN_QUEUE, type TurnJob } from '@chatq/contracts';
import {
  checkReadiness,
  createRedis,
  createTurnQueue,
  loadMigrations,
  type Logger,
  queueTelemetry,
  type Registry,
  SecretBox,
  type Sql,
} from '@chatq/platform';
import { Worker } from 'bullmq';
import type { WorkerConfig } from './config.ts';
import { TurnsRepository } from './db/turns.repository.ts';
import { turnBackoff } from './jobs/backoff.ts';
import { retryThroughDatabaseOutages } from './jobs/database-outage.ts';
import { drainWorker, InFlightJobs } from './jobs/hand-back.ts';
import { relayOutbox, startRelay } from './jobs/relay.ts';
import { createTurnProcessor, type TurnJobResult } from './jobs/run-turn.ts';
import { callModel } from './llm/registry.ts';
import type { ModelCaller } from './llm/types.ts';
import { createWorkerMetrics } from './metrics.ts';
import { traceModelCalls } from './tracing.ts';

export interface TurnWorkerDeps {
  config: WorkerConfig;
  logger: Logger;
  sql: Sql;
  /** Injected by tests that need a different model behaviour; production uses the registry. */
  callModel?: ModelCaller;
}

/**
 * A running worker: BullMQ consumer plus outbox relay. `close` drains in-flight turns; given
 * `handBackAfterMs`, turns still running after that long go back to the queue for another worker.
 */
export interface TurnWorker {
  worker: Worker<TurnJob, TurnJobResult>;
  /** What `/metrics` serves for this worker. */
  metrics: Registry;
  /** What `/readyz` reports: dependencies up, migrations applied, not draining. */
  readiness: () => Promise<Readiness>;
  close: (handBackAfterMs?: number) => Promise<void>;
}

/** Wires the turn processor, its BullMQ worker and the outbox relay. */
export function startTurnWorker(deps: TurnWorkerDeps): TurnWorker {
  const { config, logger, sql } = deps;
  const turns = new TurnsRepository(sql);
  const consumer = createRedis(config.redisUrl, 'consumer', {}, config.redisCluster);
  const producer = createRedis(config.redisUrl, 'consumer', {}, config.redisCluster);
  const queue = createTurnQueue(producer, config.queuePrefix);
  queue.on('error', (err) => logger.debug({ err }, 'queue error'));
  const metrics = createWorkerMetrics(queue);
  const migrations = loadMigrations();

  const processor = createTurnProcessor({
    turns,
    secrets: new SecretBox(config.secretKey),
    callModel: traceModelCalls(metrics.instrument(deps.callModel ?? callModel)),
    metrics,
    logger,
    maxTurnAttempts: config.maxTurnAttempts,
    providerTimeoutMs: config.providerTimeoutMs,
    turnDeadlineMs: config.turnDeadlineMs,
  });

  const inFlight = new InFlightJobs();
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
      // records why the turn failed; BullMQ's own stall limit only has to be higher than that.
      maxStalledCount: config.maxTurnAttempts + 1,
      settings: { backoffStrategy: (attemptsMade, _type, err) => turnBackoff(attemptsMade, err) },
      telemetry: queueTelemetry(),
    },
  );
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  metrics.watch(worker);
  const relay = startRelay(
    () => relayOutbox(turns, queue, config.relayAfterMs, logger),
    config.relayIntervalMs,
    logger,
  );

  return {
    worker,
    metrics: metrics.registry,
    readiness: async () =>
      checkReadiness({ sql, redis: producer, migrations: await migrations, draining: worker.closing !== undefined }),
    close: async (handBackAfterMs) => {
      await relay.stop();
      await drainWorker(worker, inFlight, handBackAfterMs, logger);
      await queue.close();
      await Promise.allSettled([consumer.quit(), producer.quit()]);
    },
  };
}
