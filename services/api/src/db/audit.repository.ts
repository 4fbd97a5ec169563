import type { AuditAction, AuditEventsQuery, AuditTargetType } from '@chatq/contracts';
import type { Sql } from '@chatq/platform';
import type { AuditedType, Row } from '../domain/audit.ts';
import type { Actor } from '../domain/caller.ts';
import type { PageRequest } from '../domain/pagination.ts';
import { keyset } from './keyset.ts';
import { scopedSql } from './transaction.ts';

/** The table each audited entity lives in: a snapshot reads its whole row, whatever its columns. */
const TABLES: Record<AuditedType, string> = {
  provider: 'providers',
  model_config: 'model_configs',
  tool: 'tools',
  mcp_server: 'mcp_servers',
  user: 'users',
  token: 'api_tokens',
};

/** An event as it is written; `changes` is already sealed (see `auditChanges`). */
export interface AuditInsert {
  /** Null for events no request caused (`audit.prune`, the first admin and its token). */
  actor: Actor | null;
  action: AuditAction;
  target_type: AuditTargetType;
  target_id: string | null;
  changes: Record<string, unknown>;
}

/** An event as it is read. */
export interface AuditRow {
  id: string;
  at: Date;
  actor_id: string | null;
  action: AuditAction;
  target_type: AuditTargetType;
  target_id: string | null;
  request_id: string | null;
  ip: string | null;
  changes: Record<string, unknown>;
}

/** The audit log's SQL. Events are only ever inserted here; the table's triggers refuse the rest. */
export class AuditRepository {
  private readonly sql: Sql;

  /** Queries join the caller's transaction, if any (see `transaction`): an event commits with its change. */
  constructor(sql: Sql) {
    this.sql = scopedSql(sql);
  }

  /**
   * The target's whole row (all columns: a column a later migration adds is audited too), locked
   * until the transaction ends so nothing changes it between this read and the change; null if
   * there is none.
   */
  async snapshot(type: AuditedType, id: string): Promise<Row | null> {
    const [row] = await this.sql<Row[]>`select * from ${this.sql(TABLES[type])} where id = ${id} for update`;
    return row ?? null;
  }

  async insert(e: AuditInsert): Promise<void> {
    await this.sql`
      insert into audit_events (actor_id, action, target_type, target_id, request_id, ip, changes)
      values (${e.actor?.user.id ?? null}, ${e.action}, ${e.target_type}, ${e.target_id},
              ${e.actor?.requestId ?? null}, ${e.actor?.ip ?? null}, ${this.sql.json(e.changes as never)})`;
  }

  /** Newest first; every filter given narrows. `from` inclusive, `to` exclusive. */
  async list(f: AuditEventsQuery, page: PageRequest<string>): Promise<AuditRow[]> {
    const { where, orderLimit } = keyset(this.sql, 'id', 'desc', page);
    const eq = (column: string, value: string | undefined) =>
      value === undefined ? this.sql`` : this.sql`and ${this.sql(column)} = ${value}`;
    return this.sql<AuditRow[]>`
      select id, at, actor_id, action, target_type, target_id, request_id, ip, changes
      from audit_events
      where true ${eq('action', f.action)} ${eq('actor_id', f.actor_id)} ${eq('target_type', f.target_type)}
        ${eq('target_id', f.target_id)}
        ${f.from === undefined ? this.sql`` : this.sql`and at >= ${f.from}::timestamptz`}
        ${f.to === undefined ? this.sql`` : this.sql`and at < ${f.to}::timestamptz`}
        ${where}
      ${orderLimit}`;
  }
}

/**
 * Deletes the events older than `before` with `npm run audit:prune`, in one transaction: it locks
 * out new events (so the count is exact), writes the `audit.prune` event with the cutoff and the
 * count, then deletes. The table's guard lets a DELETE through only for events older than the
 * cutoff of an `audit.prune` event of the same transaction (infra/migrations/0006_audit_events.sql).
 * Returns how many events left.
 */
export async function pruneAuditEvents(sql: Sql, before: Date): Promise<number> {
  return sql.begin(async (tx) => {
    // Share row exclusive: waits for transactions that are writing events, keeps new ones out
    // until the commit; readers go on.
    await tx`lock table audit_events in share row exclusive mode`;
    const [{ n }] = (await tx`select count(*)::int as n from audit_events where at < ${before}`) as unknown as [
      { n: number },
    ];
    const changes = { before: before.toISOString(), deleted: n };
    await tx`
      insert into audit_events (action, target_type, changes)
      values ('audit.prune', 'audit_events', ${tx.json(changes)})`;
    const deleted = await tx`delete from audit_events where at < ${before}`;
    if (deleted.count !== n) throw new Error(`audit prune counted ${n} events but deleted ${deleted.count}`);
    return n;
  });
}
