import type { User } from '@chatq/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService } from '../domain/auth.service.ts';
import { ForbiddenError, UnauthorizedError } from '../domain/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, set by the auth hook on every /api/v1 route. */
    user: User;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_\-.~+/=]{16,512})$/;

/** Requires a valid bearer token on every route registered in `app` (an encapsulated scope). */
export function requireAuth(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('user', null as unknown as User);
  app.addHook('onRequest', async (request) => {
    const match = BEARER.exec(request.headers.authorization ?? '');
    const user = match ? await auth.authenticate(match[1]!) : undefined;
    if (!user) throw new UnauthorizedError();
    request.user = user;
    request.log = request.log.child({ user_id: user.id });
  });
}

/** Route guard for admin-only operations. */
export async function adminOnly(request: FastifyRequest): Promise<void> {
  if (request.user.role !== 'admin') throw new ForbiddenError();
}
