import type { McpToolListJob, McpToolListResult } from '@chatq/contracts';
import type { Logger, SecretBox } from '@chatq/platform';
import type { Job } from 'bullmq';
import type { McpServersRepository } from '../db/mcp-servers.repository.ts';
import { describeMcpError, listMcpTools } from '../mcp/client.ts';

export interface ListMcpToolsDeps {
  servers: McpServersRepository;
  secrets: SecretBox;
  logger: Logger;
}

/**
 * Lists an MCP server's tools for GET /mcp-servers/{id}/tools, here in the worker where its secret
 * headers may be opened. A server that fails is the listing's answer, not a job failure: it is
 * returned described (and free of secrets) for the API to show.
 */
export function createMcpToolListProcessor(deps: ListMcpToolsDeps) {
  return async (job: Job<McpToolListJob>): Promise<McpToolListResult> => {
    const { mcp_server_id, deadline } = job.data;
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { ok: false, error: 'the listing expired before a worker took it' };
    const server = await deps.servers.findListTarget(mcp_server_id);
    if (!server) return { ok: false, error: 'MCP server not found' };
    const signal = AbortSignal.timeout(remaining);
    try {
      const tools = await listMcpTools(server, deps.secrets, signal);
      deps.logger.info({ mcp_server_id, tools: tools.length }, 'MCP tools listed');
      return { ok: true, tools };
    } catch (err) {
      const error = describeMcpError(err, signal);
      deps.logger.info({ mcp_server_id, error }, 'MCP tool listing failed');
      return { ok: false, error };
    }
  };
}
