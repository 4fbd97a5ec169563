import type { Logger } from '@chatq/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitCounters } from '../db/rate-limits.repository.ts';
import { RateLimitedError } from '../domain/errors.ts';
import { policyHeader, type RatePolicy, rateLimitHeader, rateVerdict } from '../domain/rate-limits.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Given the parsed (not yet validated) body: does this request start an assistant turn? */
    startsTurn?: (body: unknown) => boolean;
  }
}

/** Server-wide limits per minute; admins override the first two per user. */
export interface RateLimitSettings {
  requestsPerMinute: number;
  turnsPerMinute: number;
  anonymousPerMinute: number;
}

const WINDOW_SECONDS = 60;

/**
 * Counts every request in Redis, once: by token for callers with a valid token (and, for requests
 * that start a turn, by user against the turns limit), by client IP for the rest. Every response
 * carries `RateLimit-Policy` and `RateLimit`; over the limit is 429 with `Retry-After`. If Redis is
 * unreachable requests go through uncounted (the API must not fail on a limiter outage).
 */
export function registerRateLimits(
  app: FastifyInstance,
  options: { counters: RateLimitCounters; settings: RateLimitSettings; logger: Logger },
): void {
  const { counters, settings } = options;

  async function limit(reply: FastifyReply, hits: { key: string; policy: RatePolicy }[]) {
    void reply.header('ratelimit-policy', policyHeader(hits.map((h) => h.policy)));
    let used;
    try {
      used = await counters.hit(hits.map((h) => ({ key: h.key, windowMs: h.policy.windowSeconds * 1000 })));
    } catch (err) {
      options.logger.warn({ err }, 'rate limiter unavailable; request not counted');
      return;
    }
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

  // Callers without a valid token are counted as soon as that is known, before any body is read.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.caller) await limit(reply, [{ key: `{ip:${request.ip}}`, policy: anonymous }]);
  });

  // Callers with a token are counted once the body is parsed, to tell whether the request starts a turn.
  app.addHook('preValidation', async (request: FastifyRequest, reply) => {
    const caller = request.caller;
    if (!caller) return;
    const { user, tokenId } = caller;
    const tag = `{u:${user.id}}`;
    const hits: { key: string; policy: RatePolicy }[] = [
      {
        key: `${tag}:t:${tokenId}`,
        policy: {
          name: 'requests',
          quota: user.rate_limits.requests_per_minute ?? settings.requestsPerMinute,
          windowSeconds: WINDOW_SECONDS,
        },
      },
    ];
    if (request.routeOptions.config.startsTurn?.(request.body)) {
      hits.push({
        key: `${tag}:turns`,
        policy: {
          name: 'turns',
          quota: user.rate_limits.turns_per_minute ?? settings.turnsPerMinute,
          windowSeconds: WINDOW_SECONDS,
        },
      });
    }
    await limit(reply, hits);
  });
}
