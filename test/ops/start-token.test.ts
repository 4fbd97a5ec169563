import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokenNotice } from '../../scripts/admin-token.ts';
import { createTestDatabase, type TestDatabase } from '../harness/db.ts';

const TOKEN = 'cq_start_script_token_0123456789abcdefghijklmn';

describe('npm start and the admin token', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it('prints the token on the start that makes it the admin’s, and never again', async () => {
    expect(await db.sql`select 1 from users where role = 'admin'`).toHaveLength(0);
    const first = await adminTokenNotice(db.sql, TOKEN);
    expect(first).toContain(TOKEN);
    expect(await db.sql`select 1 from users where role = 'admin'`).toHaveLength(1);
    expect(await adminTokenNotice(db.sql, TOKEN)).toBeUndefined();
  });

  it('warns, without printing it, when a new token meets a database that already has an admin', async () => {
    const other = 'cq_a_new_env_file_token_0123456789abcdefghijk';
    const notice = await adminTokenNotice(db.sql, other);
    expect(notice).toMatch(/already has an admin/);
    expect(notice).not.toContain(other);
  });

  it('says nothing without a token: the API mints and logs one itself', async () => {
    expect(await adminTokenNotice(db.sql, undefined)).toBeUndefined();
  });
});
