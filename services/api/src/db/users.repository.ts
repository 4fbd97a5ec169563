import type { Role, SpendLimit, SpendPeriod, TokenInfo, User, UserRateLimits } from '@chatq/contracts';
import type { Caller } from '../domain/caller.ts';
import type { PageRequest } from '../domain/pagination.ts';
import type { Sql } from '@chatq/platform';
import { keyset } from './keyset.ts';
import { scopedSql, transaction } from './transaction.ts';
import { iso } from './rows.ts';

interface UserRow {
  id: string;
  username: string;
  role: Role;
  requests_per_minute: number | null;
  turns_per_minute: number | null;
  spend_limit_micros: string | number | null;
  spend_limit_period: SpendPeriod | null;
  disabled: boolean;
  created_at: Date;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  role: r.role,
  rate_limits: { requests_per_minute: r.requests_per_minute, turns_per_minute: r.turns_per_minute },
  // bigint arrives as a string; limits stay below 2^53 (the contract's bound).
  spend_limit:
    r.spend_limit_micros == null || r.spend_limit_period == null
      ? null
      : { amount_micros: Number(r.spend_limit_micros), period: r.spend_limit_period },
  disabled: r.disabled,
  created_at: iso(r.created_at),
});

const COLUMNS =
  'id, username, role, requests_per_minute, turns_per_minute, spend_limit_micros, spend_limit_period, disabled, ' +
  'created_at';

interface TokenRow {
  id: string;
  name: string | null;
  prefix: string | null;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
}

const toTokenInfo = (r: TokenRow): TokenInfo => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  created_at: iso(r.created_at),
  last_used_at: r.last_used_at && iso(r.last_used_at),
  expires_at: r.expires_at && iso(r.expires_at),
});

/** The hash never leaves this module: token reads return what may be shown. */
const TOKEN_COLUMNS = 'id, name, prefix, created_at, last_used_at, expires_at';

/** A token as it is minted: its digest, what may be shown of it, and its lifetime. */
export interface TokenInsert {
  hash: Buffer;
  name: string | null;
  prefix: string | null;
  expiresInDays: number | null;
}

/** What a user changes to; absent fields are unchanged, a null limit restores the default. */
export interface UserPatch {
  rate_limits?: Partial<UserRateLimits>;
  spend_limit?: SpendLimit | null;
  disabled?: boolean;
}

/** Arbitrary constant for the advisory lock that makes admin bootstrap single-flight. */
const BOOTSTRAP_LOCK_KEY = 0x63_71_61_64; // "cqad"

export class UsersRepository {
  private readonly sql: Sql;

  /** Queries join the caller's transaction, if any (see `transaction`). */
  constructor(sql: Sql) {
    this.sql = scopedSql(sql);
  }

  /** The caller a token belongs to, unless it is revoked or expired or its user is disabled. */
  async findByTokenHash(hash: Buffer): Promise<Caller | undefined> {
    const [row] = await this.sql<(UserRow & { token_id: string; token_expires_at: Date | null })[]>`
      select t.id as token_id, t.expires_at as token_expires_at,
             u.id, u.username, u.role, u.requests_per_minute, u.turns_per_minute, u.spend_limit_micros,
             u.spend_limit_period, u.disabled, u.created_at
      from api_tokens t join users u on u.id = t.user_id
      where t.token_hash = ${hash} and t.revoked_at is null and (t.expires_at is null or t.expires_at > now())
        and not u.disabled`;
    return row && { user: toUser(row), tokenId: row.token_id, tokenExpiresAt: row.token_expires_at?.getTime() ?? null };
  }

  async findById(id: string): Promise<User | undefined> {
    const [row] = await this.sql<UserRow[]>`select ${this.sql.unsafe(COLUMNS)} from users where id = ${id}`;
    return row && toUser(row);
  }

  async list(page: PageRequest<string>): Promise<User[]> {
    const { where, orderLimit } = keyset(this.sql, 'id', 'asc', page);
    const rows = await this.sql<UserRow[]>`
      select ${this.sql.unsafe(COLUMNS)} from users where true ${where} ${orderLimit}`;
    return rows.map(toUser);
  }

  /** Absent fields are unchanged; a null limit restores the server default. */
  async update(id: string, patch: UserPatch): Promise<User | undefined> {
    const spend =
      patch.spend_limit === undefined
        ? {}
        : {
            spend_limit_micros: patch.spend_limit?.amount_micros ?? null,
            spend_limit_period: patch.spend_limit?.period ?? null,
          };
    const set = Object.fromEntries(
      Object.entries({ ...patch.rate_limits, ...spend, disabled: patch.disabled }).filter(([, v]) => v !== undefined),
    );
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

  /**
   * Locks the user's row until the transaction ends, so concurrent mints for one user count their
   * tokens one after the other. Must run in a transaction.
   */
  async lockForMinting(id: string): Promise<User | undefined> {
    const [row] = await this.sql<UserRow[]>`select ${this.sql.unsafe(COLUMNS)} from users where id = ${id} for update`;
    return row && toUser(row);
  }

  /** Tokens that still authenticate: neither revoked nor expired. */
  async countLiveTokens(userId: string): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`
      select count(*)::int as n from api_tokens
      where user_id = ${userId} and revoked_at is null and (expires_at is null or expires_at > now())`;
    return row!.n;
  }

  async insertToken(userId: string, token: TokenInsert): Promise<TokenInfo> {
    const [row] = await this.sql<TokenRow[]>`
      insert into api_tokens (user_id, token_hash, name, prefix, expires_at)
      values (${userId}, ${token.hash}, ${token.name}, ${token.prefix},
              now() + make_interval(days => ${token.expiresInDays}::int))
      returning ${this.sql.unsafe(TOKEN_COLUMNS)}`;
    return toTokenInfo(row!);
  }

  /** The user's unrevoked tokens, newest first. */
  async listTokens(userId: string, page: PageRequest<string>): Promise<TokenInfo[]> {
    const { where, orderLimit } = keyset(this.sql, 'id', 'desc', page);
    const rows = await this.sql<TokenRow[]>`
      select ${this.sql.unsafe(TOKEN_COLUMNS)} from api_tokens
      where user_id = ${userId} and revoked_at is null ${where} ${orderLimit}`;
    return rows.map(toTokenInfo);
  }

  /** False when the user has no such unrevoked token. */
  async revokeToken(userId: string, tokenId: string): Promise<boolean> {
    const rows = await this.sql`
      update api_tokens set revoked_at = now()
      where id = ${tokenId} and user_id = ${userId} and revoked_at is null returning 1`;
    return rows.length === 1;
  }

  /** Records a use, unless one was recorded in the last minute (then nothing is written). */
  async touchToken(tokenId: string): Promise<void> {
    await this.sql`
      update api_tokens set last_used_at = now()
      where id = ${tokenId} and (last_used_at is null or last_used_at < now() - interval '1 minute')`;
  }

  /**
   * Creates user `admin` with the given token unless an admin already exists. Serialised by a
   * transaction-scoped advisory lock so replicas booting together create exactly one. `created` runs
   * in the same transaction once both rows exist (the audit log records them there).
   */
  async bootstrapAdmin(
    token: TokenInsert,
    created: (user: User, tokenId: string) => Promise<void>,
  ): Promise<User | undefined> {
    return transaction(this.sql, async () => {
      await this.sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK_KEY})`;
      const [existing] = await this.sql`select 1 from users where role = 'admin' limit 1`;
      if (existing) return undefined;
      const [row] = await this.sql<UserRow[]>`
        insert into users (username, role) values ('admin', 'admin')
        on conflict (username) do update set role = 'admin'
        returning ${this.sql.unsafe(COLUMNS)}`;
      if (!row) throw new Error('the admin upsert returned no row');
      const info = await this.insertToken(row.id, token);
      const user = toUser(row);
      await created(user, info.id);
      return user;
    });
  }
}
