import type { Sql } from '@chatq/platform';
import { z } from 'zod';
import { parseResult } from './results.ts';
import { scopedSql } from './transaction.ts';

/** A response recorded under an Idempotency-Key; `body` is sealed. */
export interface IdempotencyRecord {
  fingerprint: Buffer;
  status: number;
  body: Buffer;
}

/** What taking a key found: another transaction holds it, or its live record (if any). */
export type IdempotencyClaim = { busy: true } | { busy: false; record?: IdempotencyRecord };

const base64 = (text: string) => Buffer.from(text, 'base64');

/** chatq_idempotency_claim. Strict without a record, so a half-written record is not taken for none. */
export const IdempotencyClaimJson = z.union([
  z.strictObject({ busy: z.literal(true) }),
  z
    .object({ busy: z.literal(false), fingerprint: z.string(), status: z.number().int(), body: z.string() })
    .transform((r): IdempotencyClaim => ({
      busy: false,
      record: { fingerprint: base64(r.fingerprint), status: r.status, body: base64(r.body) },
    })),
  z.strictObject({ busy: z.literal(false) }),
]);

/** Idempotency keys per caller. `claim` and `insert` must run in the transaction of the change. */
export class IdempotencyRepository {
  private readonly sql: Sql;

  /** Queries join the caller's transaction, if any (see `transaction`). */
  constructor(sql: Sql) {
    this.sql = scopedSql(sql);
  }

  /** Returns the live record of the key, or else locks the key for the rest of the transaction (or reports it busy). */
  async claim(userId: string, key: string): Promise<IdempotencyClaim> {
    const [row] = await this.sql<{ r: unknown }[]>`select chatq_idempotency_claim(${userId}, ${key}) as r`;
    return parseResult('chatq_idempotency_claim', IdempotencyClaimJson, row?.r);
  }

  /**
   * Records the response; replaces an expired record of the same key. `chatId` is the chat the
   * request was about, kept only when it is the caller's (a refusal may name anyone's, or none).
   */
  async insert(userId: string, key: string, record: IdempotencyRecord, ttlSeconds: number, chatId: string | null) {
    await this.sql`
      insert into idempotency_keys (user_id, key, fingerprint, status, body, expires_at, chat_id)
      values (${userId}, ${key}, ${record.fingerprint}, ${record.status}, ${record.body},
              now() + make_interval(secs => ${ttlSeconds}),
              (select id from chats where id = ${chatId}::uuid and owner_id = ${userId}))
      on conflict (user_id, key) do update
      set fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body,
          created_at = now(), expires_at = excluded.expires_at, chat_id = excluded.chat_id
      where idempotency_keys.expires_at <= now()`;
  }

  /**
   * Replaces every recorded response about the chat with `record` (its fingerprints stay, so a
   * replay is still recognised). Must run before the chat is deleted, in its transaction.
   */
  async replaceForChat(userId: string, chatId: string, record: Omit<IdempotencyRecord, 'fingerprint'>) {
    await this.sql`
      update idempotency_keys set status = ${record.status}, body = ${record.body}, chat_id = null
      where chat_id = ${chatId} and user_id = ${userId}`;
  }

  /** Deletes up to `batch` expired records; returns how many went. */
  async pruneExpired(batch: number): Promise<number> {
    const rows = await this.sql`
      delete from idempotency_keys
      where ctid in (select ctid from idempotency_keys where expires_at <= now() limit ${batch})
      returning 1`;
    return rows.length;
  }
}
