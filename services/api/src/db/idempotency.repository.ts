import type { Sql, Tx } from '@chatq/platform';

/** A response recorded under an Idempotency-Key; `body` is sealed. */
export interface IdempotencyRecord {
  fingerprint: Buffer;
  status: number;
  body: Buffer;
}

/** What taking a key found: another transaction holds it, or its live record (if any). */
export type IdempotencyClaim = { busy: true } | { busy: false; record?: IdempotencyRecord };

interface ClaimJson {
  busy: boolean;
  fingerprint?: string;
  status?: number;
  body?: string;
}

/** Idempotency keys per caller. `claim` and `insert` must run in the transaction of the change. */
export class IdempotencyRepository {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  /** Returns the live record of the key, or else locks the key for the rest of the transaction (or reports it busy). */
  async claim(userId: string, key: string, tx: Tx = this.sql): Promise<IdempotencyClaim> {
    const [row] = await tx<{ r: ClaimJson }[]>`select chatq_idempotency_claim(${userId}, ${key}) as r`;
    const r = row!.r;
    if (r.busy) return { busy: true };
    if (r.fingerprint === undefined) return { busy: false };
    return {
      busy: false,
      record: {
        fingerprint: Buffer.from(r.fingerprint, 'base64'),
        status: r.status!,
        body: Buffer.from(r.body!, 'base64'),
      },
    };
  }

  /** Records the response; replaces an expired record of the same key. */
  async insert(userId: string, key: string, record: IdempotencyRecord, ttlSeconds: number, tx: Tx = this.sql) {
    await tx`
      insert into idempotency_keys (user_id, key, fingerprint, status, body, expires_at)
      values (${userId}, ${key}, ${record.fingerprint}, ${record.status}, ${record.body},
              now() + make_interval(secs => ${ttlSeconds}))
      on conflict (user_id, key) do update
      set fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body,
          created_at = now(), expires_at = excluded.expires_at
      where idempotency_keys.expires_at <= now()`;
  }

  /** Deletes up to `batch` expired records; returns how many went. */
  async pruneExpired(batch: number, tx: Tx = this.sql): Promise<number> {
    const rows = await tx`
      delete from idempotency_keys
      where ctid in (select ctid from idempotency_keys where expires_at <= now() limit ${batch})
      returning 1`;
    return rows.length;
  }
}
