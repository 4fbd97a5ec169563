import { Health, Readiness } from '../health.ts';
import { defineRoutes } from './define.ts';

/** Probes: public, so orchestrators need no token. */
export const healthRoutes = defineRoutes({
  getHealth: {
    method: 'GET',
    path: '/healthz',
    tag: 'health',
    auth: 'public',
    summary: 'Liveness probe',
    description: 'Answers as long as the process serves HTTP; it checks no dependency.',
    responses: { 200: { description: 'The process is alive.', schema: Health } },
  },
  getReadiness: {
    method: 'GET',
    path: '/readyz',
    tag: 'health',
    auth: 'public',
    summary: 'Readiness probe',
    description:
      'Whether this replica should get traffic: Postgres and Redis answer and every migration has run. ' +
      'A draining replica is not ready.',
    responses: {
      200: { description: 'Ready: every check is `ok`.', schema: Readiness },
      503: { description: 'Not ready: `checks` says which dependency is down.', schema: Readiness },
    },
  },
});
