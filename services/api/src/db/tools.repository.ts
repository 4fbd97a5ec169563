import type { Tool, ToolKind } from '@chatq/contracts';
import type { Sql } from '@chatq/platform';
import type { PageRequest } from '../domain/pagination.ts';
import { keyset } from './keyset.ts';
import { definedOnly, iso } from './rows.ts';
import { scopedSql } from './transaction.ts';

interface ToolRow extends Omit<Tool, 'created_at' | 'updated_at'> {
  created_at: Date;
  updated_at: Date;
}

const toTool = (r: ToolRow): Tool => ({ ...r, created_at: iso(r.created_at), updated_at: iso(r.updated_at) });

/** The sealed signing secret never leaves this module: reads report only whether one is set. */
const COLUMNS =
  'id, name, description, input_schema, kind, url, signing_secret is not null as has_signing_secret, ' +
  'requires_approval, timeout_ms, enabled, created_at, updated_at';

/** A tool as it is written; `signing_secret` is already sealed. */
export interface ToolFields {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  kind: ToolKind;
  url: string | null;
  signing_secret: Buffer | null;
  requires_approval: boolean;
  timeout_ms: number;
  enabled: boolean;
}

/** Present keys are set; a tool keeps its kind. */
export type ToolPatch = Partial<Omit<ToolFields, 'kind'>>;

export class ToolsRepository {
  private readonly sql: Sql;

  /** Queries join the caller's transaction, if any (see `transaction`). */
  constructor(sql: Sql) {
    this.sql = scopedSql(sql);
  }

  async list(onlyEnabled: boolean, page: PageRequest<string>): Promise<Tool[]> {
    const { where, orderLimit } = keyset(this.sql, 'id', 'asc', page);
    const rows = await this.sql<ToolRow[]>`
      select ${this.sql.unsafe(COLUMNS)} from tools
      where deleted_at is null ${onlyEnabled ? this.sql`and enabled` : this.sql``} ${where}
      ${orderLimit}`;
    return rows.map(toTool);
  }

  async findById(id: string): Promise<Tool | undefined> {
    const [row] = await this.sql<ToolRow[]>`
      select ${this.sql.unsafe(COLUMNS)} from tools where id = ${id} and deleted_at is null`;
    return row && toTool(row);
  }

  /** Undefined when a live tool already has this name. */
  async insert(f: ToolFields): Promise<Tool | undefined> {
    const [row] = await this.sql<ToolRow[]>`
      insert into tools ${this.sql({ ...f, input_schema: this.sql.json(f.input_schema as never) } as never)}
      on conflict (name) where deleted_at is null do nothing
      returning ${this.sql.unsafe(COLUMNS)}`;
    return row && toTool(row);
  }

  /** Undefined when there is no such live tool; a taken name or a kind mismatch raises (23505, 23514). */
  async update(id: string, patch: ToolPatch): Promise<Tool | undefined> {
    const set: Record<string, unknown> = { ...definedOnly(patch), updated_at: new Date() };
    if (patch.input_schema !== undefined) set.input_schema = this.sql.json(patch.input_schema as never);
    const [row] = await this.sql<ToolRow[]>`
      update tools set ${this.sql(set as never)} where id = ${id} and deleted_at is null
      returning ${this.sql.unsafe(COLUMNS)}`;
    return row && toTool(row);
  }

  async softDelete(id: string): Promise<boolean> {
    const rows = await this.sql`
      update tools set deleted_at = now(), updated_at = now() where id = ${id} and deleted_at is null returning id`;
    return rows.length === 1;
  }
}
