import type { Role, User, UserRateLimits } from '@chatq/contracts';
import type { Caller } from '../domain/auth.service.ts';
import type { Sql, Tx } from '@chatq/platform';
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

  constructor(sql: Sql) {
    this.sql = sql;
  }

  async findByTokenHash(hash: Buffer, tx: Tx = this.sql): Promise<Caller | undefined> {
    const [row] = await tx<(UserRow & { token_id: string })[]>`
      select t.id as token_id, u.id, u.username, u.role, u.requests_per_minute, u.turns_per_minute, u.created_at
      from api_tokens t join users u on u.id = t.user_id
      where t.token_hash = ${hash}`;
    return row && { user: toUser(row), tokenId: row.token_id };
  }

  async findById(id: string, tx: Tx = this.sql): Promise<User | undefined> {
    const [row] = await tx<UserRow[]>`select ${tx.unsafe(COLUMNS)} from users where id = ${id}`;
    return row && toUser(row);
  }

  /** Absent fields are unchanged; null restores the server default. */
  async updateRateLimits(id: string, limits: Partial<UserRateLimits>, tx: Tx = this.sql): Promise<User | undefined> {
    const set = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
    const [row] = await tx<UserRow[]>`
      update users set ${Object.keys(set).length > 0 ? tx(set) : tx`id = id`} where id = ${id}
      returning ${tx.unsafe(COLUMNS)}`;
    return row && toUser(row);
  }

  /** Undefined when the username is taken. */
  async insert(username: string, role: Role, tx: Tx = this.sql): Promise<User | undefined> {
    const [row] = await tx<UserRow[]>`
      insert into users (username, role) values (${username}, ${role})
      on conflict (username) do nothing
      returning ${tx.unsafe(COLUMNS)}`;
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
        returning ${tx.unsafe(COLUMNS)}`;
      await this.insertToken(row!.id, hash, tx);
      return toUser(row!);
    });
  }
}
