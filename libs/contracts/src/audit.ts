import { z } from 'zod';
import { Page, PageQuery, Timestamp, Uuid } from './common.ts';
import { EXAMPLE } from './examples.ts';

/**
 * Every action the audit log records: `<target type>.<verb>`, stable (clients filter on them). A
 * change's event is written in the transaction of the change; `request.refused` after a refused
 * admin request; `audit.prune` by `npm run audit:prune`, in the transaction that deletes.
 */
export const AUDIT_ACTIONS = [
  'provider.create',
  'provider.update',
  'provider.delete',
  'model_config.create',
  'model_config.update',
  'model_config.delete',
  'tool.create',
  'tool.update',
  'tool.delete',
  'mcp_server.create',
  'mcp_server.update',
  'mcp_server.delete',
  'user.create',
  'user.update',
  'token.create',
  'token.revoke',
  'request.refused',
  'audit.prune',
] as const;
export const AuditAction = z.enum(AUDIT_ACTIONS);
export type AuditAction = z.infer<typeof AuditAction>;

/** What an event is about: an entity (its id in `target_id`), a route (refusals), the log itself (prunes). */
export const AuditTargetType = z.enum([
  'provider',
  'model_config',
  'tool',
  'mcp_server',
  'user',
  'token',
  'route',
  'audit_events',
]);
export type AuditTargetType = z.infer<typeof AuditTargetType>;

/** What `changes` shows of a secret (api keys, signing secrets, secret headers, token hashes). */
export const SEALED = '[sealed]';

/**
 * One audit event. `changes` is `{"before", "after"}`: for a creation `before` is null and `after`
 * the whole new row; otherwise both hold the columns the change touched (a soft delete shows its
 * `deleted_at`). Secrets read `"[sealed]"`. A refusal's `changes` is `{"status", "message"}`; a
 * prune's `{"before": <cutoff>, "deleted": <count>}`.
 */
export const AuditEvent = z
  .object({
    id: Uuid,
    at: Timestamp,
    /** Null for events no request caused: `audit.prune`, and the first admin and its token. */
    actor_id: Uuid.nullable(),
    action: AuditAction,
    target_type: AuditTargetType,
    /** The entity's id; for `request.refused` the route, e.g. `POST /api/v1/providers`. */
    target_id: z.string().nullable(),
    request_id: z.string().nullable(),
    ip: z.string().nullable(),
    changes: z.record(z.string(), z.unknown()),
  })
  .meta({
    examples: [
      {
        id: '0197a3b3-0a1b-7c2d-8e3f-4a5b6c7d8e11',
        at: EXAMPLE.createdAt,
        actor_id: EXAMPLE.adminId,
        action: 'provider.update',
        target_type: 'provider',
        target_id: EXAMPLE.providerId,
        request_id: '0b6c2c1e-5a5f-4a4e-9c1b-6f2d8e3a7b10',
        ip: '10.0.0.7',
        changes: {
          before: { api_key: '[sealed]', base_url: null },
          after: { api_key: '[sealed]', base_url: 'https://gateway.example.com/v1' },
        },
      },
    ],
  });
export type AuditEvent = z.infer<typeof AuditEvent>;

export const AuditEventList = Page(AuditEvent);

/** Newest first. Every filter narrows; `from` inclusive, `to` exclusive (on `at`). */
export const AuditEventsQuery = PageQuery.extend({
  action: AuditAction.optional(),
  actor_id: Uuid.optional(),
  target_type: AuditTargetType.optional(),
  target_id: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\0]*$/, { message: 'must not contain NUL characters' })
    .optional(),
  from: Timestamp.optional(),
  to: Timestamp.optional().meta({ examples: ['2025-07-01T00:00:00Z'] }),
}).refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
  message: 'must be before to',
  path: ['from'],
});
export type AuditEventsQuery = z.infer<typeof AuditEventsQuery>;
