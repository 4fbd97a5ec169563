import type { Role, User } from '@chatq/contracts';
import type { Sql, Tx } from '@chatq/platform';
import { iso } from './rows.ts';

interface UserRow {
  id: string;
  username: string;
  role: Role;
  created_at: Date;
}

const toUser = (r: UserRow): User => ({ id: r.id, username: r.username, role: r.role, created_at: iso(r.created_at) });

/** Arbitrary constant for the advisory lock that makes admin bootstrap single-flight. */
const BOOTSTRAP_LOCK_KEY = 0x63_71_61_64; // "cqad"

export class UsersRepository {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  async findByTokenHash(hash: Buffer, tx: Tx = this.sql): Promise<User | undefined> {
    const [row] = await tx<UserRow[]>`
      select u.id, u.username, u.role, u.created_at
      from api_tokens t join users u on u.id = t.user_id
      where t.token_hash = ${hash}`;
    return row && toUser(row);
  }

  async findById(id: string, tx: Tx = this.sql): Promise<User | undefined> {
    const [row] = await tx<UserRow[]>`select id, username, role, created_at from users where id = ${id}`;
    return row && toUser(row);
  }

  /** Undefined when the username is taken. */
  async insert(username: string, role: Role, tx: Tx = this.sql): Promise<User | undefined> {
    const [row] = await tx<UserRow[]>`
      insert into users (username, role) values (${username}, ${role})
      on conflict (username) do nothing
      returning id, username, role, created_at`;
    return row && toUser(row);
  }

  async insertToken(userId: string, hash: Buffer, tx: Tx = this.sql): Promise<void> {
    await tx`insert into api_tokens (user_id, token_hash) values (${userId}, ${hash})`;
  }

  /**
   * Creates user `admin` with the given token hash unless an admin already exists. Serialised by a
   * transaction-scoped advisory lock so replicas booting together create exactly one.
   */
  async bootstrapAdmin(hash: Buffer): Promise<User | undefined> {
    return this.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK_KEY})`;
      const [existing] = await tx`select 1 from users where role = 'admin' limit 1`;
      if (existing) return undefined;
      const [row] = await tx<UserRow[]>`
        insert into users (username, role) values ('admin', 'admin')
        on conflict (username) do update set role = 'admin'
        returning id, username, role, created_at`;
      await this.insertToken(row!.id, hash, tx);
      return toUser(row!);
    });
  }
}
