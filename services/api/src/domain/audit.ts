import {
  type AuditAction,
  type AuditEvent,
  type AuditEventsQuery,
  type AuditTargetType,
  type PageOf,
  SEALED,
} from '@chatq/contracts';
import type { Sql } from '@chatq/platform';
import type { AuditRepository, AuditRow } from '../db/audit.repository.ts';
import { transaction } from '../db/transaction.ts';
import type { Actor } from './caller.ts';
import { pageRequest, toPage, uuidCursor } from './pagination.ts';

/** The actions that record a change to one row, named `<target type>.<verb>`. */
export type ChangeAction = Exclude<AuditAction, 'request.refused' | 'audit.prune'>;

/** The entities whose changes are audited: the target type each change action starts with. */
export type AuditedType = ChangeAction extends `${infer T}.${string}` ? T & AuditTargetType : never;

/** A row as the repository reads it: column name to value (Buffer for bytea, Date for timestamps). */
export type Row = Record<string, unknown>;

/** Columns every update touches by itself: left out of an update's diff, where they say nothing. */
const BOOKKEEPING = new Set(['updated_at']);

/**
 * A column's value as an event stores it. Every bytea column in chatq holds a secret or a digest
 * (sealed api keys, secret headers and signing secrets; token hashes), so any Buffer reads
 * `"[sealed]"`, and so do the values of `options.headers` (model configs keep gateway keys there,
 * in the clear: members never see them, and neither does the log). Null stays null, so "no key" and
 * "a key" remain distinguishable.
 */
function shown(column: string, value: unknown): unknown {
  if (Buffer.isBuffer(value)) return SEALED;
  if (value instanceof Date) return value.toISOString();
  if (column === 'options' && value && typeof value === 'object' && 'headers' in value) {
    const { headers, ...rest } = value as { headers: unknown };
    if (headers && typeof headers === 'object') {
      return { ...rest, headers: Object.fromEntries(Object.keys(headers).map((name) => [name, SEALED])) };
    }
  }
  return value;
}

/** Whether two column values differ, compared as stored (so a re-sealed secret counts as a change). */
function differs(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return !a.equals(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() !== b.getTime();
  return JSON.stringify(a) !== JSON.stringify(b);
}

const showRow = (row: Row, columns: string[]): Row => Object.fromEntries(columns.map((c) => [c, shown(c, row[c])]));

/**
 * The `changes` of an event from the row before and after a change, whatever its columns (a column
 * added later appears without code here): a creation shows the whole new row, a removal the whole
 * old one, an update the columns whose values differ (a soft delete is an update of `deleted_at`).
 * Pure; secrets are replaced by `"[sealed]"` (see `shown`).
 */
export function auditChanges(before: Row | null, after: Row | null): { before: Row | null; after: Row | null } {
  if (before === null || after === null) {
    return {
      before: before && showRow(before, Object.keys(before)),
      after: after && showRow(after, Object.keys(after)),
    };
  }
  const columns = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (c) => !BOOKKEEPING.has(c) && differs(before[c], after[c]),
  );
  return { before: showRow(before, columns), after: showRow(after, columns) };
}

/** Where a change's target id comes from: known up front, or from the change's result (creations). */
export type TargetId<T> = string | ((result: T) => string);

/**
 * The audit log. `change` is the one way admin services (and token minting and revoking) change a
 * row: the row before, the change, the row after and the event all happen in one transaction, so
 * an event exists exactly when its change committed.
 */
export class Auditor {
  private readonly sql: Sql;
  private readonly events: AuditRepository;

  constructor(sql: Sql, events: AuditRepository) {
    this.sql = sql;
    this.events = events;
  }

  /**
   * Runs `change` and records it as `action` by `actor`, in one transaction (a savepoint inside an
   * open one): the target's row is read (and locked) before, read again after, and the difference
   * recorded (`auditChanges`). If `change` throws, nothing is written, the event included.
   */
  change<T>(actor: Actor, action: ChangeAction, target: TargetId<T>, change: () => Promise<T>): Promise<T> {
    const type = action.slice(0, action.indexOf('.')) as AuditedType;
    return transaction(this.sql, async () => {
      const before = typeof target === 'string' ? await this.events.snapshot(type, target) : null;
      const result = await change();
      const id = typeof target === 'string' ? target : target(result);
      const after = await this.events.snapshot(type, id);
      await this.events.insert({
        actor,
        action,
        target_type: type,
        target_id: id,
        changes: auditChanges(before, after),
      });
      return result;
    });
  }

  /**
   * Records rows the server created by itself, with no request behind them (the first admin and
   * its token, at first start): `actor_id` is null. Must run in the transaction that created them.
   */
  async created(type: 'user' | 'token', id: string): Promise<void> {
    const after = await this.events.snapshot(type, id);
    await this.events.insert({
      actor: null,
      action: `${type}.create`,
      target_type: type,
      target_id: id,
      changes: auditChanges(null, after),
    });
  }

  /**
   * Records a refused admin request (after its rollback: the refusal changed nothing). `route` is
   * the method and route pattern, e.g. `PATCH /api/v1/users/{id}`.
   */
  async refused(actor: Actor, route: string, status: number, message: string): Promise<void> {
    await this.events.insert({
      actor,
      action: 'request.refused',
      target_type: 'route',
      target_id: route,
      changes: { status, message },
    });
  }

  async list(query: AuditEventsQuery): Promise<PageOf<AuditEvent>> {
    const page = pageRequest(query, uuidCursor);
    const rows = await this.events.list(query, page);
    return toPage(rows.map(toEvent), page, (e) => e.id, uuidCursor);
  }
}

const toEvent = (r: AuditRow): AuditEvent => ({ ...r, at: r.at.toISOString() });
