import type { SecretBox } from './secrets.ts';
import type { Sql } from './db.ts';

/** The plaintext of the key check: what the first service to start sealed with its key. */
export const KEY_CHECK_TEXT = 'chatq key check';

/** The service's CHATQ_SECRET_KEY cannot open what the database holds: refuse to start. */
export class SecretKeyMismatchError extends Error {
  constructor() {
    super('CHATQ_SECRET_KEY does not match the key this database was sealed with');
    this.name = 'SecretKeyMismatchError';
  }
}

/**
 * How the key check went: `sealed` (first start: this key is now the database's), `matched`, or
 * `unmigrated` (the database has no key-check table yet; the API's migrator creates it).
 */
export type KeyCheck = 'sealed' | 'matched' | 'unmigrated';

/**
 * Checks that `secrets` opens what this database was sealed with, so a service started with the
 * wrong CHATQ_SECRET_KEY fails at once instead of failing every keyed turn (or sealing new secrets
 * no other replica can open). The first service to start seals the check; concurrent first starts
 * race on the one-row primary key and all but one insert nothing, then all read the same row.
 * Throws `SecretKeyMismatchError` when neither the key nor CHATQ_SECRET_KEY_PREVIOUS opens it.
 */
export async function verifySecretKey(sql: Sql, secrets: SecretBox): Promise<KeyCheck> {
  let inserted;
  try {
    inserted = await sql`
      insert into secret_key_check (sealed) values (${secrets.seal(KEY_CHECK_TEXT)})
      on conflict (id) do nothing returning 1`;
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return 'unmigrated'; // undefined_table
    throw err;
  }
  if (inserted.length === 1) return 'sealed';
  // A statement of its own: it sees the row a concurrent first start committed.
  const [row] = await sql<{ sealed: Buffer }[]>`select sealed from secret_key_check`;
  let opened: string | undefined;
  try {
    opened = secrets.open(row!.sealed);
  } catch {
    // A wrong key fails GCM's authentication: that is the answer, not an error to pass on.
  }
  if (opened !== KEY_CHECK_TEXT) throw new SecretKeyMismatchError();
  return 'matched';
}
