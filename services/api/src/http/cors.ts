import { IDEMPOTENCY_HEADER } from '@chatq/contracts';
import type { FastifyInstance } from 'fastify';
import type { AllowedMethods } from './allowed-methods.ts';
import { REPLAYED_HEADER } from './idempotency.ts';

/** Request headers chatq reads, which a browser may only send cross-origin once allowed. */
const ALLOWED_HEADERS = ['authorization', 'content-type', IDEMPOTENCY_HEADER, 'last-event-id', 'x-request-id'];

/** Response headers a browser script may read cross-origin, beyond the few always exposed. */
const EXPOSED_HEADERS = ['ratelimit', 'ratelimit-policy', 'retry-after', REPLAYED_HEADER, 'x-request-id'];

/** How long a browser may reuse a preflight's answer (Chromium caps it at 2 h). */
const PREFLIGHT_MAX_AGE_SECONDS = 7_200;

/**
 * CORS for the browser origins in `origins` (`*`: any). A preflight from an allowed origin is
 * answered here, before any token is looked up or request counted; it carries no credentials and
 * must not need them. Other requests from an allowed origin get the headers a script may read.
 * Tokens travel in the Authorization header, not cookies, so credentials are never allowed. Added
 * before the auth and rate-limit hooks, and only when configured: without CORS_ORIGINS nothing runs.
 */
export function registerCors(app: FastifyInstance, origins: '*' | readonly string[], routes: AllowedMethods): void {
  const anyOrigin = origins === '*';
  const allowed = new Set(origins);
  const exposed = EXPOSED_HEADERS.join(', ');
  app.addHook('onRequest', async (request, reply) => {
    // Answers differ by Origin unless every origin is allowed: caches must keep them apart.
    if (!anyOrigin) void reply.header('vary', 'origin');
    const origin = request.headers.origin;
    if (origin === undefined || (!anyOrigin && !allowed.has(origin))) return;
    void reply.header('access-control-allow-origin', anyOrigin ? '*' : origin);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      return reply
        .code(204)
        .headers({
          'access-control-allow-methods': routes.all().join(', '),
          'access-control-allow-headers': ALLOWED_HEADERS.join(', '),
          'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
        })
        .send();
    }
    void reply.header('access-control-expose-headers', exposed);
  });
}
