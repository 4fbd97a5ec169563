import type { Logger } from '@chatq/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitCounters } from '../db/rate-limits.repository.ts';
import { QueueOutOfMemoryError, RateLimitedError } from '../domain/errors.ts';
import { policyHeader, type RatePolicy, rateLimitHeader, rateVerdict } from '../domain/rate-limits.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Whether a request to this route starts an assistant turn (counted against the per-user turns
     * limit): always, or depending on the parsed (not yet validated) body.
     */
    startsTurn?: boolean | ((body: unknown) => boolean);
    /** False for routes never counted nor refused: the probes and /metrics (see `isRateLimited`). */
    rateLimited?: boolean;
  }
  interface FastifyRequest {
    /** Set once the request has been counted, so that it is counted exactly once. */
    rateCounted: boolean;
  }
}

/** Server-wide limits per minute; admins override the first two per user. */
export interface RateLimitSettings {
  requestsPerMinute: number;
  turnsPerMinute: number;
  anonymousPerMinute: number;
}

const WINDOW_SECONDS = 60;

/** Redis at its `maxmemory` with `noeviction` refuses writes with an `OOM ...` error (scripts too). */
function isOutOfMemory(err: unknown): boolean {
  return err instanceof Error && /\bOOM command not allowed\b/.test(err.message);
}

/**
 * Counts every request in Redis, once (one round trip): by user for callers with a valid token, so
 * all of a user's tokens share one budget and minting another does not buy more (and, for requests
 * that start a turn, against the user's turns limit too), by client IP for the rest. Every response carries `RateLimit-Policy` and `RateLimit`; over the limit is 429 with
 * `Retry-After`. If Redis is unreachable requests go through uncounted (the API must not fail on a
 * limiter outage); if it is out of memory, requests that start a turn are refused with 503.
 */
export function registerRateLimits(
  app: FastifyInstance,
  options: { counters: RateLimitCounters; settings: RateLimitSettings; logger: Logger },
): void {
  const { counters, settings } = options;

  // Said once per outage, not once per request.
  let unavailable = false;

  async function limit(reply: FastifyReply, hits: { key: string; policy: RatePolicy }[]) {
    void reply.header('ratelimit-policy', policyHeader(hits.map((h) => h.policy)));
    let used;
    try {
      used = await counters.hit(hits.map((h) => ({ key: h.key, windowMs: h.policy.windowSeconds * 1000 })));
    } catch (err) {
      if (!unavailable) options.logger.warn({ err }, 'rate limiter unavailable; requests go through uncounted');
      unavailable = true;
      // Redis answers but is full: a turn started now could be neither queued nor streamed. Refuse
      // it before its transaction; reads and other changes go on (they need no room in Redis).
      if (isOutOfMemory(err) && hits.some((h) => h.policy.name === 'turns')) throw new QueueOutOfMemoryError();
      return;
    }
    if (unavailable) options.logger.info('rate limiter available again');
    unavailable = false;
    const counts = hits.map((h, i) => ({ policy: h.policy, ...used[i]! }));
    void reply.header('ratelimit', rateLimitHeader(counts));
    const verdict = rateVerdict(counts);
    if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfter);
  }

  const anonymous: RatePolicy = {
    name: 'anonymous',
    quota: settings.anonymousPerMinute,
    windowSeconds: WINDOW_SECONDS,
  };

  function callerHits(request: FastifyRequest, startsTurn: boolean) {
    const { user } = request.caller!;
    const tag = `{u:${user.id}}`;
    const hits: { key: string; policy: RatePolicy }[] = [
      {
        key: `${tag}:requests`,
        policy: {
          name: 'requests',
          quota: user.rate_limits.requests_per_minute ?? settings.requestsPerMinute,
          windowSeconds: WINDOW_SECONDS,
        },
      },
    ];
    if (startsTurn) {
      hits.push({
        key: `${tag}:turns`,
        policy: {
          name: 'turns',
          quota: user.rate_limits.turns_per_minute ?? settings.turnsPerMinute,
          windowSeconds: WINDOW_SECONDS,
        },
      });
    }
    return hits;
  }

  app.decorateRequest('rateCounted', false);

  // As soon as the caller is known, before any body is read, unless the body decides.
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.rateLimited === false) {
      request.rateCounted = true;
      return;
    }
    const startsTurn = request.routeOptions.config.startsTurn;
    if (request.caller && typeof startsTurn === 'function') return;
    request.rateCounted = true;
    await limit(
      reply,
      request.caller ? callerHits(request, startsTurn === true) : [{ key: `{ip:${request.ip}}`, policy: anonymous }],
    );
  });

  // Routes where the body tells whether a turn starts: once it is parsed.
  app.addHook('preValidation', async (request, reply) => {
    if (request.rateCounted) return;
    request.rateCounted = true;
    const startsTurn = request.routeOptions.config.startsTurn;
    await limit(reply, callerHits(request, typeof startsTurn === 'function' && startsTurn(request.body)));
  });

  // A body that failed to parse never reached preValidation: count it now, for the headers.
  app.addHook('onSend', async (request, reply) => {
    if (request.rateCounted || !request.caller) return;
    request.rateCounted = true;
    await limit(reply, callerHits(request, false)).catch(() => {});
  });
}
