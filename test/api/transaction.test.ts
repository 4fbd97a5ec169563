import { afterCommit, scopedSql, transaction } from '@chatq/api/db/transaction.ts';
import type { Sql } from '@chatq/platform';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/db.ts';

describe('request transactions (scopedSql)', () => {
  let db: TestDatabase;
  let sql: Sql;
  beforeAll(async () => {
    db = await createTestDatabase();
    sql = scopedSql(db.sql);
    await db.sql`create table notes (text text not null)`;
  });
  beforeEach(async () => {
    await db.sql`truncate notes`;
  });
  afterAll(() => db.drop());

  const notes = async () => (await db.sql<{ text: string }[]>`select text from notes order by text`).map((r) => r.text);
  /** What a repository does: a query on the pool it was given. */
  const write = (text: string) => sql`insert into notes (text) values (${text})`;

  it('runs on the pool outside a transaction', async () => {
    await write('alone');
    expect(await notes()).toEqual(['alone']);
  });

  it('makes repository queries join the transaction, so they roll back with it', async () => {
    await expect(
      transaction(db.sql, async () => {
        await write('a');
        await write('b');
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await notes()).toEqual([]);
  });

  it("nests a service's own begin as a savepoint", async () => {
    await transaction(db.sql, async () => {
      await write('outer');
      await sql
        .begin(async () => {
          await write('inner');
          throw new Error('inner fails');
        })
        .catch(() => {});
      await sql.begin(async () => write('kept'));
    });
    expect(await notes()).toEqual(['kept', 'outer']);
  });

  it('runs afterCommit work once the outermost transaction has committed, and never after a rollback', async () => {
    const seen: string[][] = [];
    const record = () => afterCommit(async () => void seen.push(await notes()));
    await transaction(db.sql, async () => {
      await write('committed');
      await record();
      await transaction(db.sql, async () => record());
      await transaction(db.sql, async () => {
        await record();
        throw new Error('savepoint rolls back');
      }).catch(() => {});
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual([['committed'], ['committed']]);
    await record();
    expect(seen).toHaveLength(3);
  });
});
