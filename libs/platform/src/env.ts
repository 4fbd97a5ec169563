import { z } from 'zod';

/** Raised at boot when the environment does not satisfy a service's config schema. */
export class ConfigError extends Error {
  readonly issues: readonly { variable: string; problem: string }[];

  constructor(issues: readonly { variable: string; problem: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.problem}`).join('\n')}`);
    this.issues = issues;
    this.name = 'ConfigError';
  }
}

/**
 * Parses `env` with `schema` once, at boot. Every problem names the variable, so an operator can fix
 * a deployment from the first log line.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  // Empty strings mean "unset" in most deployment tools (compose, k8s), so treat them as absent.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      variable: issue.path.join('.') || '(environment)',
      problem: issue.message,
    })),
  );
}

/** Reusable zod pieces for environment variables. */
export const envVar = {
  url: (protocols: readonly string[]) =>
    z
      .url({ message: `must be a URL (${protocols.join(', ')})` })
      .refine((value) => protocols.some((p) => value.startsWith(`${p}:`)), {
        message: `must use ${protocols.map((p) => `${p}://`).join(' or ')}`,
      }),
  int: (min: number, max: number) =>
    z.coerce
      .number({ message: 'must be a number' })
      .int({ message: 'must be an integer' })
      .min(min, { message: `must be at least ${min}` })
      .max(max, { message: `must be at most ${max}` }),
  bool: () =>
    z
      .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
      .transform((v) => v === 'true' || v === '1'),
  logLevel: () =>
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent',
    }),
  /** A 32-byte key, given as 64 hex characters or base64. */
  key32: () =>
    z.string().transform((value, ctx) => {
      const bytes = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
      if (bytes.length !== 32) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be 32 bytes, as 64 hex characters or base64 (openssl rand -base64 32)',
        });
        return z.NEVER;
      }
      return bytes;
    }),
};

/** Shared settings both services read. */
export const commonEnv = {
  DATABASE_URL: envVar.url(['postgres', 'postgresql']).default('postgres://postgres@127.0.0.1:5432/chatq'),
  DATABASE_POOL_MAX: envVar.int(1, 200).default(10),
  REDIS_URL: envVar.url(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
  /** REDIS_URL is one node of a Redis Cluster (QUEUE_PREFIX must then be a hash tag, e.g. {chatq}). */
  REDIS_CLUSTER: envVar.bool().default(false),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}.-]{1,64}$/, { message: 'must be 1-64 of A-Z a-z 0-9 _ - . { }' })
    .default('chatq'),
  LOG_LEVEL: envVar.logLevel().default('info'),
  CHATQ_SECRET_KEY: envVar.key32(),
  /** The key being rotated away from: still opens secrets until `npm run rotate-key` re-sealed them. */
  CHATQ_SECRET_KEY_PREVIOUS: envVar.key32().optional(),
  SHUTDOWN_GRACE_MS: envVar.int(0, 600_000).default(25_000),
  /** How long a starting service waits for Postgres and Redis before it exits 1. */
  STARTUP_TIMEOUT_MS: envVar.int(0, 3_600_000).default(30_000),
  /** Each chat's event log keeps about this many events (what a reconnecting client can resume). */
  EVENTS_MAXLEN: envVar.int(100, 1_000_000).default(5_000),
  /** An event log untouched this long expires. */
  EVENTS_TTL_SECONDS: envVar.int(10, 7 * 24 * 3_600).default(900),
  /** OTLP/HTTP collector for OpenTelemetry traces (e.g. http://otel-collector:4318); unset: no tracing. */
  OTEL_EXPORTER_OTLP_ENDPOINT: envVar.url(['http', 'https']).optional(),
  /**
   * The spend limit of users without their own, in microdollars per SPEND_LIMIT_PERIOD (a calendar
   * UTC `day` or `month`); unset: none. Both services read it: the API reserves when a turn starts,
   * workers before each later model call.
   */
  SPEND_LIMIT_MICROS: envVar.int(0, Number.MAX_SAFE_INTEGER).optional(),
  SPEND_LIMIT_PERIOD: z.enum(['day', 'month'], { message: 'must be day or month' }).default('month'),
};

/** The variables of `commonEnv`, parsed. */
export type CommonEnv = z.infer<z.ZodObject<typeof commonEnv>>;

/** The shared settings as both services' configs carry them (one mapping, so they cannot drift). */
export function commonConfig(e: CommonEnv) {
  return {
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    redisUrl: e.REDIS_URL,
    redisCluster: e.REDIS_CLUSTER,
    queuePrefix: e.QUEUE_PREFIX,
    logLevel: e.LOG_LEVEL,
    secretKey: e.CHATQ_SECRET_KEY,
    secretKeyPrevious: e.CHATQ_SECRET_KEY_PREVIOUS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    startupTimeoutMs: e.STARTUP_TIMEOUT_MS,
    events: { maxLen: e.EVENTS_MAXLEN, ttlSeconds: e.EVENTS_TTL_SECONDS, prefix: e.QUEUE_PREFIX },
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    spendDefault: { micros: e.SPEND_LIMIT_MICROS ?? null, period: e.SPEND_LIMIT_PERIOD } satisfies SpendDefault,
  };
}

/** The server-wide spend limit of users without their own: `micros` null means none. */
export interface SpendDefault {
  micros: number | null;
  period: 'day' | 'month';
}

/** No server-wide spend limit. */
export const NO_SPEND_DEFAULT: SpendDefault = { micros: null, period: 'month' };

/**
 * On Redis Cluster every key of a BullMQ queue must hash to one slot: with REDIS_CLUSTER the queue
 * prefix has to be a hash tag. Services add this to their schema with `.superRefine`.
 */
export function clusterNeedsHashTag(env: { REDIS_CLUSTER: boolean; QUEUE_PREFIX: string }, ctx: z.RefinementCtx): void {
  if (env.REDIS_CLUSTER && !/^\{[^{}]+\}/.test(env.QUEUE_PREFIX)) {
    ctx.addIssue({
      code: 'custom',
      path: ['QUEUE_PREFIX'],
      message: 'must start with a hash tag such as {chatq} when REDIS_CLUSTER is true',
    });
  }
}
