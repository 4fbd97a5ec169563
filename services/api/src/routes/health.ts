import type { healthRoutes, Readiness } from '@chatq/contracts';
import type { Handlers } from './register.ts';

/** Liveness and readiness probes; `check` reports each dependency. */
export const healthHandlers = (check: () => Promise<Readiness>): Handlers<typeof healthRoutes> => ({
  getHealth: async () => ({ status: 'ok' as const }),

  getReadiness: async (_request, reply) => {
    const readiness = await check();
    return reply.code(readiness.status === 'ready' ? 200 : 503).send(readiness);
  },
});
