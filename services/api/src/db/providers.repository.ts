import type { Provider, ProviderKind } from '@chatq/contracts';
import type { Sql } from '@chatq/platform';
import { scopedSql } from './transaction.ts';
import type { PageRequest } from '../domain/pagination.ts';
import { keyset } from './keyset.ts';
import { iso } from './rows.ts';

interface ProviderRow {
  id: string;
  name: string;
  kind: ProviderKind;
  base_url: string | null;
  has_api_key: boolean;
  secret_header_names: string[];
  options: Record<string, unknown>;
  created_at: Date;
}

const toProvider = (r: ProviderRow): Provider => ({ ...r, created_at: iso(r.created_at) });

/** Sealed values never leave this module: reads report whether a key is set and the header names. */
const COLUMNS =
  'id, name, kind, base_url, api_key is not null as has_api_key, secret_header_names, options, created_at';

export interface ProviderInsert {
  name: string;
  kind: ProviderKind;
  base_url: string | null;
  api_key: Buffer | null;
  /** Sealed JSON of the headers, and their names in the clear; null and [] for none. */
  secret_headers: { sealed: Buffer; names: string[] } | null;
  options: Record<string, unknown>;
}

export type ProviderPatch = Partial<Omit<ProviderInsert, 'kind'>>;

export class ProvidersRepository {
  private readonly sql: Sql;

  /** Queries join the caller's transaction, if any (see `transaction`). */
  constructor(sql: Sql) {
    this.sql = scopedSql(sql);
  }

  async list(page: PageRequest<string>): Promise<Provider[]> {
    const { where, orderLimit } = keyset(this.sql, 'id', 'asc', page);
    const rows = await this.sql<ProviderRow[]>`
      select ${this.sql.unsafe(COLUMNS)} from providers where deleted_at is null ${where} ${orderLimit}`;
    return rows.map(toProvider);
  }

  async findById(id: string): Promise<Provider | undefined> {
    const [row] = await this.sql<ProviderRow[]>`
      select ${this.sql.unsafe(COLUMNS)} from providers where id = ${id} and deleted_at is null`;
    return row && toProvider(row);
  }

  /** Undefined when a live provider already has this name. */
  async insert(p: ProviderInsert): Promise<Provider | undefined> {
    const [row] = await this.sql<ProviderRow[]>`
      insert into providers (name, kind, base_url, api_key, secret_headers, secret_header_names, options)
      values (${p.name}, ${p.kind}, ${p.base_url}, ${p.api_key}, ${p.secret_headers?.sealed ?? null},
              ${p.secret_headers?.names ?? []}::text[], ${this.sql.json(p.options as never)})
      on conflict (name) where deleted_at is null do nothing
      returning ${this.sql.unsafe(COLUMNS)}`;
    return row && toProvider(row);
  }

  async update(id: string, patch: ProviderPatch): Promise<Provider | undefined> {
    const set: Record<string, unknown> = { updated_at: new Date() };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.base_url !== undefined) set.base_url = patch.base_url;
    if (patch.api_key !== undefined) set.api_key = patch.api_key;
    if (patch.secret_headers !== undefined) {
      set.secret_headers = patch.secret_headers?.sealed ?? null;
      set.secret_header_names = patch.secret_headers?.names ?? [];
    }
    if (patch.options !== undefined) set.options = this.sql.json(patch.options as never);
    const [row] = await this.sql<ProviderRow[]>`
      update providers set ${this.sql(set)} where id = ${id} and deleted_at is null
      returning ${this.sql.unsafe(COLUMNS)}`;
    return row && toProvider(row);
  }

  /** Soft-deletes the provider and its model configs together. */
  async softDelete(id: string): Promise<boolean> {
    const [row] = await this.sql`
      with p as (
        update providers set deleted_at = now() where id = ${id} and deleted_at is null returning id
      )
      , m as (
        update model_configs set deleted_at = now(), is_default = false
        where provider_id in (select id from p) and deleted_at is null
      )
      select count(*)::int as n from p`;
    return row!.n === 1;
  }
}
