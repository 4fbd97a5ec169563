import type { SecretBox } from '@chatq/platform';
import type { ClaimedMcpServer, ClaimedTool } from '../db/turns.repository.ts';
import type { ToolSpec } from '../llm/types.ts';

/** Who runs a call of a tool: the worker (webhook, MCP) or the API caller (client). */
export type ToolRunner =
  { kind: 'webhook'; tool: ClaimedTool } | { kind: 'mcp'; server: ClaimedMcpServer; tool: string } | { kind: 'client' };

/** A tool the model is offered this turn. */
export interface OfferedTool {
  spec: ToolSpec;
  requiresApproval: boolean;
  runner: ToolRunner;
}

/** A tool an MCP server offers, by the name the model sees and the server's own. */
export interface McpOffer {
  server: ClaimedMcpServer;
  tool: string;
  spec: ToolSpec;
}

/**
 * The chat's tools by the name the model sees: its webhook and client tools, its MCP servers'
 * tools (`<server>__<tool>`), and the client tools the chat defines itself. A name taken twice
 * keeps its first owner in that order, so a caller-defined tool can never shadow an admin's.
 */
export function toolbox(
  tools: ClaimedTool[],
  mcp: McpOffer[],
  clientTools: { name: string; description?: string; input_schema: Record<string, unknown> }[],
): Map<string, OfferedTool> {
  const offered = new Map<string, OfferedTool>();
  const offer = (name: string, tool: OfferedTool) => {
    if (!offered.has(name)) offered.set(name, tool);
  };
  for (const t of tools) {
    offer(t.name, {
      spec: { name: t.name, description: t.description, inputSchema: t.input_schema },
      requiresApproval: t.requires_approval,
      runner: t.kind === 'webhook' ? { kind: 'webhook', tool: t } : { kind: 'client' },
    });
  }
  for (const m of mcp) {
    offer(m.spec.name, {
      spec: m.spec,
      requiresApproval: m.server.requires_approval,
      runner: { kind: 'mcp', server: m.server, tool: m.tool },
    });
  }
  for (const c of clientTools) {
    offer(c.name, {
      spec: { name: c.name, ...(c.description ? { description: c.description } : {}), inputSchema: c.input_schema },
      requiresApproval: false,
      runner: { kind: 'client' },
    });
  }
  return offered;
}

/** A webhook tool's signing secret, opened: the one place it is, for the duration of a call. */
export function signingSecret(tool: ClaimedTool, secrets: SecretBox): string | null {
  return tool.signing_secret ? secrets.open(Buffer.from(tool.signing_secret, 'base64')) : null;
}
