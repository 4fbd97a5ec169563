import { USAGE_REPORT_CSV_COLUMNS, type usageRoutes } from '@chatq/contracts';
import type { UsageService } from '../domain/usage.service.ts';
import { prefersCsv, toCsv } from '../http/csv.ts';
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

  // JSON unless the caller's Accept prefers CSV (the same rows, without the total).
  getUsageReport: async (request, reply) => {
    const report = await usage.report(request.query);
    // JSON and CSV share the URL: caches must key the answer on Accept.
    void reply.header('vary', 'accept');
    if (!prefersCsv(request.headers.accept)) return report;
    return reply
      .code(200)
      .type('text/csv; charset=utf-8')
      .send(toCsv(USAGE_REPORT_CSV_COLUMNS, report.data) as never);
  },

  getMyLimits: async (request) => usage.limits(request.user, request.user.id),

  getUserLimits: async (request) => usage.limits(request.user, request.params.id),
});
