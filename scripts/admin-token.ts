// What `npm start` says about the admin token. It makes sure the admin exists before the API
// starts, so that it can tell whether the token in .env became the admin's: printed then, once, and
// never again (a later start finds the admin, whose token .env already holds).
import { AuditRepository } from '@chatq/api/db/audit.repository.ts';
import { UsersRepository } from '@chatq/api/db/users.repository.ts';
import { Auditor } from '@chatq/api/domain/audit.ts';
import { adminToken, createFirstAdmin } from '@chatq/api/domain/bootstrap.ts';
import { hashToken } from '@chatq/api/domain/tokens.ts';
import type { Sql } from '@chatq/platform';

/**
 * Creates the admin with `token` (CHATQ_BOOTSTRAP_TOKEN) when no admin exists, and returns the line
 * to print: the token when this call made it the admin's; a warning when an admin exists that the
 * token does not belong to (a new .env against an old database); nothing otherwise. Without a
 * token, nothing: the API mints one and logs it itself.
 */
export async function adminTokenNotice(sql: Sql, token: string | undefined): Promise<string | undefined> {
  if (!token) return undefined;
  const users = new UsersRepository(sql);
  const audit = new Auditor(sql, new AuditRepository(sql));
  if (await createFirstAdmin(users, audit, adminToken(token, true))) {
    return `chatq: created the admin user; its API token (also in .env as CHATQ_BOOTSTRAP_TOKEN): ${token}`;
  }
  if (await users.findByTokenHash(hashToken(token))) return undefined;
  return (
    'chatq: this database already has an admin, and CHATQ_BOOTSTRAP_TOKEN is not its token ' +
    '(it only creates the first admin); use the token the admin was created with'
  );
}
