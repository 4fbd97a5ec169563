import { Health, Readiness } from '@chatq/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

/** Liveness and readiness probes; `check` reports each dependency. */
export const healthRoutes: FastifyPluginAsyncZod<{ check: () => Promise<Readiness> }> = async (app, { check }) => {
  app.get('/healthz', { schema: { response: { 200: Health } } }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', { schema: { response: { 200: Readiness, 503: Readiness } } }, async (_request, reply) => {
    const readiness = await check();
    return reply.code(readiness.status === 'ready' ? 200 : 503).send(readiness);
  });
};
