import type { ModelConfig } from '@chatq/contracts';
import type { Sql } from '@chatq/platform';
import { scopedSql } from './transaction.ts';
import type { PageRequest } from '../domain/pagination.ts';
import { keyset } from './keyset.ts';
import { iso, numberOrNull } from './rows.ts';

interface ModelConfigRow {
  id: string;
  provider_id: string;
  model: string;
  display_name: string | null;
  enabled: boolean;
  is_default: boolean;
  context_limit: number | null;
  max_output_tokens: number | null;
  input_price_per_mtok: string | null;
  output_price_per_mtok: string | null;
  options: Record<string, unknown>;
  system_prompt: string | null;
  max_steps: number;
  created_at: Date;
  updated_at: Date;
}

const toModelConfig = (r: ModelConfigRow): ModelConfig => ({
  ...r,
  input_price_per_mtok: numberOrNull(r.input_price_per_mtok),
  output_price_per_mtok: numberOrNull(r.output_price_per_mtok),
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
});

/** Column values as they are written; `options` is plain JSON. */
export type ModelConfigFields = Omit<ModelConfig, 'id' | 'created_at' | 'updated_at'>;

export class ModelConfigsRepository {
  private readonly sql: Sql;

  /** Queries join the caller's transaction, if any (see `transaction`). */
  constructor(sql: Sql) {
    this.sql = scopedSql(sql);
  }

  async list(onlyEnabled: boolean, page: PageRequest<string>): Promise<ModelConfig[]> {
    const { where, orderLimit } = keyset(this.sql, 'id', 'asc', page);
    const rows = await this.sql<ModelConfigRow[]>`
      select * from model_configs
      where deleted_at is null ${onlyEnabled ? this.sql`and enabled` : this.sql``} ${where}
      ${orderLimit}`;
    return rows.map(toModelConfig);
  }

  async findById(id: string): Promise<ModelConfig | undefined> {
    const [row] = await this.sql<ModelConfigRow[]>`
      select * from model_configs where id = ${id} and deleted_at is null`;
    return row && toModelConfig(row);
  }

  /** Clears the current default so a new one can take its place (partial unique index). */
  async clearDefault(exceptId: string | null): Promise<void> {
    await this.sql`
      update model_configs set is_default = false, updated_at = now()
      where is_default and deleted_at is null and id is distinct from ${exceptId}`;
  }

  async insert(f: ModelConfigFields): Promise<ModelConfig> {
    const [row] = await this.sql<ModelConfigRow[]>`
      insert into model_configs ${this.sql({ ...f, options: this.sql.json(f.options as never) } as never)}
      returning *`;
    return toModelConfig(row!);
  }

  async update(id: string, patch: Partial<ModelConfigFields>): Promise<ModelConfig | undefined> {
    const set: Record<string, unknown> = { ...patch, updated_at: new Date() };
    if (patch.options !== undefined) set.options = this.sql.json(patch.options as never);
    const [row] = await this.sql<ModelConfigRow[]>`
      update model_configs set ${this.sql(set as never)} where id = ${id} and deleted_at is null returning *`;
    return row && toModelConfig(row);
  }

  async softDelete(id: string): Promise<boolean> {
    const rows = await this.sql`
      update model_configs set deleted_at = now(), is_default = false, updated_at = now()
      where id = ${id} and deleted_at is null returning id`;
    return rows.length === 1;
  }

  async providerExists(providerId: string): Promise<boolean> {
    const rows = await this.sql`select 1 from providers where id = ${providerId} and deleted_at is null`;
    return rows.length === 1;
  }
}
