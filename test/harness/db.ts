import { createSql, type Sql } from '@chatq/platform';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

/** A database of this test file's own, cloned from the run's migrated template. */
export interface TestDatabase {
  name: string;
  url: string;
  sql: Sql;
  drop: () => Promise<void>;
}

export function databaseUrl(name: string): string {
  const url = new URL(inject('pgAdminUrl'));
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh name in this run's namespace (teardown drops whatever is left). */
export function uniqueName(kind: string): string {
  return `${inject('runId')}_${kind}_${randomBytes(4).toString('hex')}`;
}

export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = uniqueName('db');
  const admin = createSql(inject('pgAdminUrl'), { max: 1, applicationName: 'chatq-test' });
  await admin.unsafe(
    options.migrated === false ? `create database ${name}` : `create database ${name} template ${inject('templateDb')}`,
  );
  const url = databaseUrl(name);
  const sql = createSql(url, { max: 5, applicationName: 'chatq-test' });
  return {
    name,
    url,
    sql,
    drop: async () => {
      await sql.end({ timeout: 1 });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
