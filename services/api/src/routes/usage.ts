import type { usageRoutes } from '@chatq/contracts';
import type { UsageService } from '../domain/usage.service.ts';
import type { Handlers } from './register.ts';

export const usageHandlers = (usage: UsageService): Handlers<typeof usageRoutes> => ({
  getChatUsage: async (request) => ({
    chat_id: request.params.chat_id,
    usage: await usage.forChat(request.user, request.params.chat_id),
  }),

  getMyUsage: async (request) => ({
    user_id: request.user.id,
    from: request.query.from ?? null,
    to: request.query.to ?? null,
    usage: await usage.forUser(request.user, request.user.id, request.query),
  }),

  getUserUsage: async (request) => ({
    user_id: request.params.id,
    from: request.query.from ?? null,
    to: request.query.to ?? null,
    usage: await usage.forUser(request.user, request.params.id, request.query),
  }),

  getMyLimits: async (request) => usage.limits(request.user, request.user.id),

  getUserLimits: async (request) => usage.limits(request.user, request.params.id),
});
