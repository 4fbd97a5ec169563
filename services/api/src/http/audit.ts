import type { Logger } from '@chatq/platform';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Auditor } from '../domain/audit.ts';
import type { Actor } from '../domain/caller.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Admin-only routes: their refusals are audited (see `registerRefusalAudit`). */
    adminOnly?: boolean;
  }
}

/** Who makes this request, as the audit log records them. Only on authenticated routes. */
export function actorOf(request: FastifyRequest): Actor {
  return { user: request.user, requestId: request.id, ip: request.ip };
}

/**
 * Refusals not recorded: 401 has no actor to record (and anyone could flood the log with it), 429
 * is the rate limiter shedding load, which a write per refusal would defeat.
 */
const UNRECORDED = new Set([401, 429]);

/** The `message` of an error body, as sent. */
function messageOf(payload: unknown): string {
  if (typeof payload !== 'string') return '';
  try {
    const body = JSON.parse(payload) as { message?: unknown };
    return typeof body.message === 'string' ? body.message : '';
  } catch {
    return '';
  }
}

/**
 * Records every refused request to an admin-only route (403 for a member, and any other 4xx but
 * 401 and 429) as `request.refused`, before the response goes out. The refusal changed nothing (its
 * transaction rolled back), so the event is written on its own; if that write fails, the caller
 * still gets their answer and the failure is logged.
 */
export function registerRefusalAudit(app: FastifyInstance, audit: Auditor, logger: Logger): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const status = reply.statusCode;
    if (status < 400 || status >= 500 || UNRECORDED.has(status)) return payload;
    if (!request.routeOptions.config.adminOnly || !request.caller) return payload;
    const route = `${request.method} ${(request.routeOptions.url ?? '').replace(/:(\w+)/g, '{$1}')}`;
    try {
      await audit.refused(actorOf(request), route, status, messageOf(payload));
    } catch (err) {
      logger.warn({ err, request_id: request.id }, 'refused admin request not audited');
    }
    return payload;
  });
}
