import { AuditEventList, AuditEventsQuery } from '../audit.ts';
import { defineRoutes } from './define.ts';
import { ERRORS } from './errors.ts';

export const auditRoutes = defineRoutes({
  listAuditEvents: {
    method: 'GET',
    path: '/api/v1/audit-events',
    tag: 'audit',
    auth: 'admin',
    summary: 'List audit events',
    description:
      'Newest first, cursor-paginated. Every admin change (providers, model configs, tools, MCP servers, users ' +
      'and their limits), every token minted or revoked and every refused admin request, with who, when, from ' +
      'where (`request_id`, `ip`) and the values before and after (secrets read `"[sealed]"`). Filter by ' +
      '`action`, `actor_id`, `target_type`, `target_id`, and `from` (inclusive) / `to` (exclusive) on `at`.',
    query: AuditEventsQuery,
    responses: { 200: { description: 'A page of events.', schema: AuditEventList } },
    errors: { 400: [ERRORS.invalidCursor] },
  },
});
