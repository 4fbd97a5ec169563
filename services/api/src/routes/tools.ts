import type { mcpServerRoutes, toolRoutes } from '@chatq/contracts';
import type { McpServersService } from '../domain/mcp-servers.service.ts';
import type { ToolsService } from '../domain/tools.service.ts';
import { actorOf } from '../http/audit.ts';
import type { Handlers } from './register.ts';

/** Tool administration (admin-only but the list, as the table says). */
export const toolHandlers = (tools: ToolsService): Handlers<typeof toolRoutes> => ({
  createTool: async (request, reply) =>
    reply.code(201).send({ tool: await tools.create(actorOf(request), request.body) }),

  listTools: async (request) => tools.list(request.user, request.query),

  getTool: async (request) => ({ tool: await tools.get(request.params.id) }),

  updateTool: async (request) => ({ tool: await tools.update(actorOf(request), request.params.id, request.body) }),

  deleteTool: async (request, reply) => {
    await tools.delete(actorOf(request), request.params.id);
    return reply.code(204).send(null);
  },
});

/** MCP server administration, and tool listings run by a worker. */
export const mcpServerHandlers = (servers: McpServersService): Handlers<typeof mcpServerRoutes> => ({
  createMcpServer: async (request, reply) =>
    reply.code(201).send({ mcp_server: await servers.create(actorOf(request), request.body) }),

  listMcpServers: async (request) => servers.list(request.user, request.query),

  getMcpServer: async (request) => ({ mcp_server: await servers.get(request.params.id) }),

  updateMcpServer: async (request) => ({
    mcp_server: await servers.update(actorOf(request), request.params.id, request.body),
  }),

  deleteMcpServer: async (request, reply) => {
    await servers.delete(actorOf(request), request.params.id);
    return reply.code(204).send(null);
  },

  listMcpServerTools: async (request) => servers.listTools(request.params.id),
});
