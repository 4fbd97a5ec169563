import type { User } from '@chatq/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService } from '../domain/auth.service.ts';
import type { Caller } from '../domain/caller.ts';
import { ForbiddenError, UnauthorizedError } from '../domain/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, set by the auth hook on every /api/v1 route. */
    user: User;
    /** The caller and the token they used, when the request carries a valid token. */
    caller: Caller | undefined;
  }
}

/** `Bearer <token>`; auth schemes are case-insensitive (RFC 9110 11.1), so `bearer` works too. */
const BEARER = /^Bearer +([A-Za-z0-9_\-.~+/=]{16,512})$/i;
/** A bearer token of any form was sent, whether or not it is valid. */
const SENT_BEARER = /^Bearer +\S/i;

/**
 * Resolves the bearer token of every request, if it has a valid one, without refusing anything:
 * rate limiting needs to know who calls before `requireAuth` decides whether that is enough.
 */
export function identifyCallers(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('user', null as unknown as User);
  app.decorateRequest('caller', undefined);
  app.addHook('onRequest', async (request, reply) => {
    const match = BEARER.exec(request.headers.authorization ?? '');
    const caller = match ? await auth.authenticate(match[1]!) : undefined;
    if (!caller) return;
    request.caller = caller;
    request.user = caller.user;
    // The reply's logger writes the 'request completed' line: both carry the caller.
    request.log = reply.log = request.log.child({ user_id: caller.user.id });
  });
}

/** Requires a valid bearer token on every route registered in `app` (an encapsulated scope). */
export function requireAuth(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (!request.caller) throw new UnauthorizedError(SENT_BEARER.test(request.headers.authorization ?? ''));
  });
}

/** Route guard for admin-only operations. */
export async function adminOnly(request: FastifyRequest): Promise<void> {
  if (request.user.role !== 'admin') throw new ForbiddenError();
}
