import { TURN_ATTEMPTS_CEILING } from '@chatq/chat-core';
import { clusterNeedsHashTag, commonEnv, envVar, parseEnv, commonConfig } from '@chatq/platform';
import { z } from 'zod';
import { DEFAULT_RETRY_BASE_MS } from './jobs/backoff.ts';

const WorkerEnv = z
  .object({
    ...commonEnv,
    WORKER_CONCURRENCY: envVar.int(1, 1_000).default(10),
    /**
     * The worker's probe and metrics server (/healthz, /readyz, /metrics). 0, the default, picks a free
     * port, so any number of workers can share a host; containers set 8081.
     */
    WORKER_PORT: envVar.int(0, 65_535).default(0),
    HOST: z.string().min(1).default('127.0.0.1'),
    /**
     * Attempts a turn gets before it fails for good: its claims, so provider retries and workers that
     * crashed or stalled mid-turn count together. The worker alone enforces it (see TURN_ATTEMPTS_CEILING).
     */
    WORKER_MAX_TURN_ATTEMPTS: envVar.int(1, TURN_ATTEMPTS_CEILING).default(5),
    /** BullMQ job lock: a worker silent this long is presumed dead and its turn is retried elsewhere. */
    WORKER_LOCK_DURATION_MS: envVar.int(1_000, 600_000).default(30_000),
    WORKER_STALLED_INTERVAL_MS: envVar.int(1_000, 600_000).default(30_000),
    /** Outbox relay: how often it runs, and how old a queued turn must be before it is re-enqueued. */
    RELAY_INTERVAL_MS: envVar.int(100, 600_000).default(5_000),
    RELAY_AFTER_MS: envVar.int(0, 3_600_000).default(10_000),
    /** One provider call may take this long; the whole turn, retries included, TURN_DEADLINE_MS. */
    PROVIDER_TIMEOUT_MS: envVar.int(1_000, 3_600_000).default(120_000),
    TURN_DEADLINE_MS: envVar.int(1_000, 24 * 3_600_000).default(600_000),
    /** First backoff step after a retryable provider error; doubles per attempt, with jitter. */
    WORKER_RETRY_BASE_MS: envVar.int(10, 600_000).default(DEFAULT_RETRY_BASE_MS),
    /** A reply growing past this many characters is stopped, and its turn fails. */
    MAX_REPLY_CHARS: envVar.int(1, 100_000_000).default(400_000),
    /** Provider calls may go to link-local addresses (169.254.0.0/16, fe80::/10: cloud metadata). */
    PROVIDER_ALLOW_LINK_LOCAL: envVar.bool().default(false),
    /**
     * Requests the API waits on that one worker process runs at once, per kind: provider checks
     * (POST /providers/{id}/test) and MCP tool listings (GET /mcp-servers/{id}/tools).
     */
    WORKER_CHECK_CONCURRENCY: envVar.int(1, 100).default(2),
  })
  .superRefine(clusterNeedsHashTag);

/** Everything the worker reads from its environment, parsed once at boot. */
export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

export function loadWorkerConfig(env: Record<string, string | undefined> = process.env) {
  const e = parseEnv(WorkerEnv, env);
  return {
    ...commonConfig(e),
    concurrency: e.WORKER_CONCURRENCY,
    httpPort: e.WORKER_PORT,
    httpHost: e.HOST,
    maxTurnAttempts: e.WORKER_MAX_TURN_ATTEMPTS,
    lockDurationMs: e.WORKER_LOCK_DURATION_MS,
    stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
    relayIntervalMs: e.RELAY_INTERVAL_MS,
    relayAfterMs: e.RELAY_AFTER_MS,
    providerTimeoutMs: e.PROVIDER_TIMEOUT_MS,
    turnDeadlineMs: e.TURN_DEADLINE_MS,
    retryBaseMs: e.WORKER_RETRY_BASE_MS,
    checkConcurrency: e.WORKER_CHECK_CONCURRENCY,
    maxReplyChars: e.MAX_REPLY_CHARS,
    providerAllowLinkLocal: e.PROVIDER_ALLOW_LINK_LOCAL,
  };
}
