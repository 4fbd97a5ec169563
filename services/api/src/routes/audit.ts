import type { auditRoutes } from '@chatq/contracts';
import type { Auditor } from '../domain/audit.ts';
import type { Handlers } from './register.ts';

/** The audit log (admin-only, as the table says). */
export const auditHandlers = (audit: Auditor): Handlers<typeof auditRoutes> => ({
  listAuditEvents: async (request) => audit.list(request.query),
});
