import { DEFAULT_MAX_TOKENS_PER_USER } from '@chatq/contracts';
import { clusterNeedsHashTag, commonEnv, envVar, parseEnv, commonConfig } from '@chatq/platform';
import { isIP } from 'node:net';
import { z } from 'zod';

/** `https://app.example.com,http://localhost:5173`, or `*` alone for any origin. */
const Origins = z.string().transform((value, ctx) => {
  const origins = value.split(',').map((origin) => origin.trim());
  if (origins.length === 1 && origins[0] === '*') return '*' as const;
  // Browsers send Origin in this exact form (lower-case host, no path, no default port).
  const bad = origins.find((origin) => !URL.canParse(origin) || new URL(origin).origin !== origin);
  if (bad !== undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${bad}" is not an origin: list origins such as https://app.example.com, comma-separated, or * alone`,
    });
    return z.NEVER;
  }
  return origins;
});

/** Which hops of `X-Forwarded-For` to believe; `hop` 0 is the peer that connected. */
export type TrustProxy = boolean | string[] | ((address: string, hop: number) => boolean);

/**
 * Which proxies' `X-Forwarded-For` to believe (fastify's `trustProxy`): `true` (any), `false`
 * (none), IPs and CIDRs (and proxy-addr's `loopback`, `linklocal`, `uniquelocal`), comma-separated,
 * or a hop count: the nearest N hops whatever their address, for a deployment where every request
 * passes exactly N proxies (fastify itself no longer reads a number, so it is a trust function).
 */
const TrustProxy = z.string().transform((value, ctx): TrustProxy => {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d{1,3}$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  const entries = value.split(',').map((entry) => entry.trim());
  const bad = entries.find((entry) => !isProxyAddress(entry));
  if (bad === undefined) return entries;
  ctx.addIssue({
    code: 'custom',
    message: `"${bad}" is not an address: use true, false, a hop count, or IPs/CIDRs such as 10.0.0.0/8, comma-separated`,
  });
  return z.NEVER;
});

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

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
    /** How long POST /providers/{id}/test waits for a worker to run the check. */
    PROVIDER_CHECK_TIMEOUT_MS: envVar.int(500, 600_000).default(30_000),
    /** How long GET /mcp-servers/{id}/tools waits for a worker to list the server's tools. */
    MCP_LIST_TIMEOUT_MS: envVar.int(500, 600_000).default(30_000),
    /** SSE comment heartbeat, so proxies keep idle event streams open. */
    EVENTS_HEARTBEAT_MS: envVar.int(100, 300_000).default(15_000),
    /** Event streams one user may hold open on one API process. */
    MAX_STREAMS_PER_USER: envVar.int(1, 10_000).default(20),
    /** Longest a client may take to send a whole request (headers and body); open event streams are exempt. */
    REQUEST_TIMEOUT_MS: envVar.int(100, 600_000).default(30_000),
    /** Believe X-Forwarded-For from these proxies (the client IP of per-IP limits and logs); off by default. */
    TRUST_PROXY: TrustProxy.default(false),
    /** Per user, across all their tokens; an admin can set another limit per user. */
    RATE_LIMIT_REQUESTS_PER_MINUTE: envVar.int(1, 1_000_000).default(600),
    /** Per user, requests that start an assistant turn; an admin can set another limit per user. */
    RATE_LIMIT_TURNS_PER_MINUTE: envVar.int(1, 1_000_000).default(60),
    /** Per client IP, requests without a valid token (probes, docs, bad tokens). */
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: envVar.int(1, 1_000_000).default(300),
    /** Live (unexpired, unrevoked) tokens a member may hold; admins are not limited. */
    MAX_TOKENS_PER_USER: envVar.int(1, 10_000).default(DEFAULT_MAX_TOKENS_PER_USER),
    IDEMPOTENCY_TTL_SECONDS: envVar.int(60, 30 * 86_400).default(86_400),
    IDEMPOTENCY_PRUNE_INTERVAL_MS: envVar.int(100, 86_400_000).default(600_000),
    /** Browser origins that may call the API (CORS); unset, browsers may not call it cross-origin. */
    CORS_ORIGINS: Origins.optional(),
  })
  .superRefine(clusterNeedsHashTag);

/** Everything the API reads from its environment, parsed once at boot. */
export type ApiConfig = ReturnType<typeof loadApiConfig>;

export function loadApiConfig(env: Record<string, string | undefined> = process.env) {
  const e = parseEnv(ApiEnv, env);
  return {
    ...commonConfig(e),
    port: e.PORT,
    host: e.HOST,
    bootstrapToken: e.CHATQ_BOOTSTRAP_TOKEN,
    seedMock: e.CHATQ_SEED_MOCK,
    enqueueTimeoutMs: e.ENQUEUE_TIMEOUT_MS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    providerCheckTimeoutMs: e.PROVIDER_CHECK_TIMEOUT_MS,
    mcpListTimeoutMs: e.MCP_LIST_TIMEOUT_MS,
    heartbeatMs: e.EVENTS_HEARTBEAT_MS,
    maxStreamsPerUser: e.MAX_STREAMS_PER_USER,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    trustProxy: e.TRUST_PROXY,
    rateLimits: {
      requestsPerMinute: e.RATE_LIMIT_REQUESTS_PER_MINUTE,
      turnsPerMinute: e.RATE_LIMIT_TURNS_PER_MINUTE,
      anonymousPerMinute: e.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
    },
    maxTokensPerUser: e.MAX_TOKENS_PER_USER,
    idempotencyTtlSeconds: e.IDEMPOTENCY_TTL_SECONDS,
    idempotencyPruneIntervalMs: e.IDEMPOTENCY_PRUNE_INTERVAL_MS,
    corsOrigins: e.CORS_ORIGINS,
  };
}
