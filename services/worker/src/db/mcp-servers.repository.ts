import type { Sql } from '@chatq/platform';
import type { McpServerRow } from '../mcp/client.ts';

/** The worker's read of MCP servers, for tool listings; the tool loop will read them with a turn's claim. */
export class McpServersRepository {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  /** A live server, enabled or not: an admin lists a server's tools before enabling it. */
  async findListTarget(id: string): Promise<McpServerRow | undefined> {
    const [row] = await this.sql<McpServerRow[]>`
      select name, url, encode(secret_headers, 'base64') as secret_headers, allowed_tools
      from mcp_servers where id = ${id} and deleted_at is null`;
    return row;
  }
}
