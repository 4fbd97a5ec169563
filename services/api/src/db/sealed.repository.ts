import type { SecretBox, Sql } from '@chatq/platform';

/** A column of sealed values, and how its rows are addressed. */
interface SealedColumn {
  table: string;
  column: string;
  key: readonly string[];
}

/**
 * Every value chatq seals with CHATQ_SECRET_KEY. A new sealed column must be listed here, or a key
 * rotation would leave it unreadable (test/api/secrets.test.ts seals one of each and rotates).
 */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'providers', column: 'api_key', key: ['id'] },
  { table: 'providers', column: 'secret_headers', key: ['id'] },
  { table: 'tools', column: 'signing_secret', key: ['id'] },
  { table: 'mcp_servers', column: 'secret_headers', key: ['id'] },
  { table: 'idempotency_keys', column: 'body', key: ['user_id', 'key'] },
  { table: 'secret_key_check', column: 'sealed', key: ['id'] },
];

/** Thrown when a value opens with neither key: the rotation is rolled back. */
export class UnopenableSecretError extends Error {
  constructor(table: string, column: string) {
    super(`a value in ${table}.${column} opens with neither CHATQ_SECRET_KEY nor CHATQ_SECRET_KEY_PREVIOUS`);
    this.name = 'UnopenableSecretError';
  }
}

/**
 * Re-seals every sealed value that `current` cannot open but `previous` can, with `current`, in one
 * transaction (rows locked as they are read, so concurrent writers wait): all of it moves to the new
 * key, or none of it. Values `current` already opens are left alone, so a second run changes
 * nothing. Returns how many values of each column it re-sealed.
 */
export async function resealAll(sql: Sql, current: SecretBox, previous: SecretBox): Promise<Record<string, number>> {
  return sql.begin(async (tx) => {
    const counts: Record<string, number> = {};
    for (const { table, column, key } of SEALED_COLUMNS) {
      const rows = await tx<Record<string, unknown>[]>`
        select ${tx(key as string[])}, ${tx(column)} as sealed from ${tx(table)}
        where ${tx(column)} is not null for update`;
      let resealed = 0;
      for (const row of rows) {
        const sealed = row.sealed as Buffer;
        if (opens(current, sealed)) continue;
        if (!opens(previous, sealed)) throw new UnopenableSecretError(table, column);
        const where = key.map((k) => tx`${tx(k)} = ${row[k] as string}`).reduce((a, b) => tx`${a} and ${b}`);
        await tx`update ${tx(table)} set ${tx(column)} = ${current.seal(previous.open(sealed))} where ${where}`;
        resealed++;
      }
      counts[`${table}.${column}`] = resealed;
    }
    return counts;
  });
}

function opens(box: SecretBox, sealed: Buffer): boolean {
  try {
    box.open(sealed);
    return true;
  } catch {
    return false;
  }
}
