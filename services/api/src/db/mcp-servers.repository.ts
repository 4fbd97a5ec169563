import type { McpServer } from '@chatq/contracts';
import type { Sql } from '@chatq/platform';
import type { PageRequest } from '../domain/pagination.ts';
import { keyset } from './keyset.ts';
import { definedOnly, iso } from './rows.ts';
import { scopedSql } from './transaction.ts';

interface McpServerRow extends Omit<McpServer, 'created_at' | 'updated_at'> {
  created_at: Date;
  updated_at: Date;
}

const toMcpServer = (r: McpServerRow): McpServer => ({
  ...r,
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
});

/** The sealed headers never leave this module: reads list only their names. */
const COLUMNS = 'id, name, url, secret_header_names, allowed_tools, requires_approval, enabled, created_at, updated_at';

/** An MCP server as it is written: `secret_headers` is the sealed JSON of `{name: value}`. */
export interface McpServerFields {
  name: string;
  url: string;
  secret_headers: Buffer | null;
  secret_header_names: string[];
  allowed_tools: string[] | null;
  requires_approval: boolean;
  enabled: boolean;
}

/** Present keys are set; `secret_headers` and `secret_header_names` change together. */
export type McpServerPatch = Partial<McpServerFields>;

export class McpServersRepository {
  private readonly sql: Sql;

  /** Queries join the caller's transaction, if any (see `transaction`). */
  constructor(sql: Sql) {
    this.sql = scopedSql(sql);
  }

  async list(onlyEnabled: boolean, page: PageRequest<string>): Promise<McpServer[]> {
    const { where, orderLimit } = keyset(this.sql, 'id', 'asc', page);
    const rows = await this.sql<McpServerRow[]>`
      select ${this.sql.unsafe(COLUMNS)} from mcp_servers
      where deleted_at is null ${onlyEnabled ? this.sql`and enabled` : this.sql``} ${where}
      ${orderLimit}`;
    return rows.map(toMcpServer);
  }

  async findById(id: string): Promise<McpServer | undefined> {
    const [row] = await this.sql<McpServerRow[]>`
      select ${this.sql.unsafe(COLUMNS)} from mcp_servers where id = ${id} and deleted_at is null`;
    return row && toMcpServer(row);
  }

  /** Undefined when a live server already has this name. */
  async insert(f: McpServerFields): Promise<McpServer | undefined> {
    const [row] = await this.sql<McpServerRow[]>`
      insert into mcp_servers ${this.sql(f as never)}
      on conflict (name) where deleted_at is null do nothing
      returning ${this.sql.unsafe(COLUMNS)}`;
    return row && toMcpServer(row);
  }

  /** Undefined when there is no such live server; a taken name raises (23505). */
  async update(id: string, patch: McpServerPatch): Promise<McpServer | undefined> {
    const [row] = await this.sql<McpServerRow[]>`
      update mcp_servers set ${this.sql({ ...definedOnly(patch), updated_at: new Date() } as never)}
      where id = ${id} and deleted_at is null
      returning ${this.sql.unsafe(COLUMNS)}`;
    return row && toMcpServer(row);
  }

  async softDelete(id: string): Promise<boolean> {
    const rows = await this.sql`
      update mcp_servers set deleted_at = now(), updated_at = now()
      where id = ${id} and deleted_at is null returning id`;
    return rows.length === 1;
  }
}
