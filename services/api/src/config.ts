import { clusterNeedsHashTag, commonEnv, envVar, parseEnv } from '@chatq/platform';
import { z } from 'zod';

const ApiEnv = z
  .object({
    ...commonEnv,
    PORT: envVar.int(0, 65_535).default(8080),
    HOST: z.string().min(1).default('127.0.0.1'),
    CHATQ_BOOTSTRAP_TOKEN: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
    /** Seed a `mock` provider and default model config into an empty install. */
    CHATQ_SEED_MOCK: envVar.bool().default(true),
    /** How long a request may wait for Redis to take a job before the outbox relay takes over. */
    ENQUEUE_TIMEOUT_MS: envVar.int(10, 60_000).default(1_000),
    BODY_LIMIT_BYTES: envVar.int(1_024, 64 * 1024 * 1024).default(256 * 1024),
  })
  .superRefine(clusterNeedsHashTag);

/** Everything the API reads from its environment, parsed once at boot. */
export type ApiConfig = ReturnType<typeof loadApiConfig>;

export function loadApiConfig(env: Record<string, string | undefined> = process.env) {
  const e = parseEnv(ApiEnv, env);
  return {
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    redisUrl: e.REDIS_URL,
    redisCluster: e.REDIS_CLUSTER,
    queuePrefix: e.QUEUE_PREFIX,
    logLevel: e.LOG_LEVEL,
    secretKey: e.CHATQ_SECRET_KEY,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    port: e.PORT,
    host: e.HOST,
    bootstrapToken: e.CHATQ_BOOTSTRAP_TOKEN,
    seedMock: e.CHATQ_SEED_MOCK,
    enqueueTimeoutMs: e.ENQUEUE_TIMEOUT_MS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
  };
}
