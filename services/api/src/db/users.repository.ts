import type { Role, User, UserRateLimits } from '@chatq/contracts';
import type { Caller } from '../domain/caller.ts';
import type { Sql } from '@chatq/platform';
import { scopedSql, transaction } from './transaction.ts';
import { iso } from './rows.ts';

interface UserRow {
  id: string;
  username: string;
  role: Role;
  requests_per_minute: number | null;
  turns_per_minute: number | null;
  created_at: Date;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  role: r.role,
  rate_limits: { requests_per_minute: r.requests_per_minute, turns_per_minute: r.turns_per_minute },
  created_at: iso(r.created_at),
});

const COLUMNS = 'id, username, role, requests_per_minute, turns_per_minute, created_at';

/** Arbitrary constant for the advisory lock that makes admin bootstrap single-flight. */
const BOOTSTRAP_LOCK_KEY = 0x63_71_61_64; // "cqad"

export class UsersRepository {
  private readonly sql: Sql;

  /** Queries join the caller's transaction, if any (see `transaction`). */
  constructor(sql: Sql) {
    this.sql = scopedSql(sql);
  }

  async findByTokenHash(hash: Buffer): Promise<Caller | undefined> {
    const [row] = await this.sql<(UserRow & { token_id: string })[]>`
      select t.id as token_id, u.id, u.username, u.role, u.requests_per_minute, u.turns_per_minute, u.created_at
      from api_tokens t join users u on u.id = t.user_id
      where t.token_hash = ${hash}`;
    return row && { user: toUser(row), tokenId: row.token_id };
  }

  async findById(id: string): Promise<User | undefined> {
    const [row] = await this.sql<UserRow[]>`select ${this.sql.unsafe(COLUMNS)} from users where id = ${id}`;
    return row && toUser(row);
  }

  /** Absent fields are unchanged; null restores the server default. */
  async updateRateLimits(id: string, limits: Partial<UserRateLimits>): Promise<User | undefined> {
    const set = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
    const [row] = await this.sql<UserRow[]>`
      update users set ${Object.keys(set).length > 0 ? this.sql(set) : this.sql`id = id`} where id = ${id}
      returning ${this.sql.unsafe(COLUMNS)}`;
    return row && toUser(row);
  }

  /** Undefined when the username is taken. */
  async insert(username: string, role: Role): Promise<User | undefined> {
    const [row] = await this.sql<UserRow[]>`
      insert into users (username, role) values (${username}, ${role})
      on conflict (username) do nothing
      returning ${this.sql.unsafe(COLUMNS)}`;
    return row && toUser(row);
  }

  async insertToken(userId: string, hash: Buffer): Promise<void> {
    await this.sql`insert into api_tokens (user_id, token_hash) values (${userId}, ${hash})`;
  }

  /**
   * Creates user `admin` with the given token hash unless an admin already exists. Serialised by a
   * transaction-scoped advisory lock so replicas booting together create exactly one.
   */
  async bootstrapAdmin(hash: Buffer): Promise<User | undefined> {
    return transaction(this.sql, async () => {
      await this.sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK_KEY})`;
      const [existing] = await this.sql`select 1 from users where role = 'admin' limit 1`;
      if (existing) return undefined;
      const [row] = await this.sql<UserRow[]>`
        insert into users (username, role) values ('admin', 'admin')
        on conflict (username) do update set role = 'admin'
        returning ${this.sql.unsafe(COLUMNS)}`;
      if (!row) throw new Error('the admin upsert returned no row');
      await this.insertToken(row.id, hash);
      return toUser(row);
    });
  }
}
