import { IdParams, ProviderTestBody, ProviderTestResult } from '@chatq/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ProviderChecksService } from '../domain/provider-checks.service.ts';
import { adminOnly } from '../http/auth.ts';

/** Admins check a provider before users hit a bad key: 200 with `ok` either way, once a worker answered. */
export const providerCheckRoutes: FastifyPluginAsyncZod<{ checks: ProviderChecksService }> = async (
  app,
  { checks },
) => {
  app.post(
    '/providers/:id/test',
    {
      preHandler: adminOnly,
      schema: { params: IdParams, body: ProviderTestBody.nullish(), response: { 200: ProviderTestResult } },
    },
    async (request) => checks.test(request.params.id, request.body ?? {}),
  );
};
