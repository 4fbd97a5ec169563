import type { providerRoutes } from '@chatq/contracts';
import type { ProviderChecksService } from '../domain/provider-checks.service.ts';
import type { ProvidersService } from '../domain/providers.service.ts';
import { actorOf } from '../http/audit.ts';
import type { Handlers } from './register.ts';

/** Provider administration (admin-only, as the table says), and checks run by a worker. */
export const providerHandlers = (
  providers: ProvidersService,
  checks: ProviderChecksService,
): Handlers<typeof providerRoutes> => ({
  createProvider: async (request, reply) =>
    reply.code(201).send({ provider: await providers.create(actorOf(request), request.body) }),

  listProviders: async (request) => providers.list(request.query),

  getProvider: async (request) => ({ provider: await providers.get(request.params.id) }),

  updateProvider: async (request) => ({
    provider: await providers.update(actorOf(request), request.params.id, request.body),
  }),

  deleteProvider: async (request, reply) => {
    await providers.delete(actorOf(request), request.params.id);
    return reply.code(204).send(null);
  },

  // 200 with `ok` either way, once a worker answered.
  testProvider: async (request) => checks.test(request.params.id, request.body ?? {}),
});
