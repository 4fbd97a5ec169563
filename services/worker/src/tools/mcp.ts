import { mcpToolName } from '@chatq/contracts';
import type { Logger, SecretBox } from '@chatq/platform';
import type { ClaimedMcpServer } from '../db/turns.repository.ts';
import { callMcpTool, describeMcpError, listMcpTools } from '../mcp/client.ts';
import type { ToolOutcome } from './output.ts';
import { toolError } from './output.ts';
import type { McpOffer } from './toolbox.ts';

/** How long one MCP tool call (or one server's listing) may take. */
export const MCP_CALL_TIMEOUT_MS = 60_000;

/**
 * The tools of the chat's MCP servers, listed in parallel at the start of each run of a turn. A
 * server that cannot be listed offers nothing this run (logged), so one broken server does not
 * fail every turn of the chats that name it.
 */
export async function listMcpOffers(
  servers: ClaimedMcpServer[],
  deps: { secrets: SecretBox; fetch: typeof globalThis.fetch; log: Logger },
  stop: AbortSignal,
): Promise<McpOffer[]> {
  const lists = await Promise.all(
    servers.map(async (server) => {
      const signal = AbortSignal.any([stop, AbortSignal.timeout(MCP_CALL_TIMEOUT_MS)]);
      try {
        const tools = await listMcpTools(server, deps.secrets, signal, deps.fetch);
        const prefix = mcpToolName(server.name, '');
        return tools.map((t) => ({
          server,
          tool: t.name.slice(prefix.length),
          spec: { name: t.name, ...(t.description ? { description: t.description } : {}), inputSchema: t.input_schema },
        }));
      } catch (err) {
        stop.throwIfAborted();
        deps.log.warn({ mcp_server: server.name, reason: describeMcpError(err, signal) }, 'MCP tools not offered');
        return [];
      }
    }),
  );
  return lists.flat();
}

/** Runs one MCP tool call; a failure to reach or speak to the server is an error result. */
export async function runMcpCall(
  server: ClaimedMcpServer,
  tool: string,
  input: unknown,
  deps: { secrets: SecretBox; fetch: typeof globalThis.fetch },
  stop: AbortSignal,
): Promise<ToolOutcome> {
  const signal = AbortSignal.any([stop, AbortSignal.timeout(MCP_CALL_TIMEOUT_MS)]);
  try {
    return await callMcpTool(server, tool, input, deps.secrets, signal, deps.fetch);
  } catch (err) {
    stop.throwIfAborted();
    return toolError(describeMcpError(err, signal));
  }
}
