import { IdParams, NoContent, PageQuery } from '../common.ts';
import {
  CreateMcpServerBody,
  CreateToolBody,
  McpServerList,
  McpServerResponse,
  McpToolList,
  ToolList,
  ToolResponse,
  UpdateMcpServerBody,
  UpdateToolBody,
} from '../tools.ts';
import { defineRoutes } from './define.ts';
import { ERRORS } from './errors.ts';

/**
 * Tools and MCP servers hold secrets (signing secrets, headers): admins manage them; members list
 * the enabled ones, to put their ids on chats. Secrets are write-only: sealed on the way in and
 * only ever opened by workers.
 */
export const toolRoutes = defineRoutes({
  createTool: {
    method: 'POST',
    path: '/api/v1/tools',
    tag: 'tools',
    auth: 'admin',
    summary: 'Add a tool',
    description:
      'A function the model may call: a `webhook` tool is called by a worker at `url` (its body signed with the ' +
      'sealed `signing_secret`), a `client` tool is run by the API caller. Responses say `has_signing_secret`, ' +
      'never the secret.',
    body: CreateToolBody,
    responses: { 201: { description: 'The new tool.', schema: ToolResponse } },
    errors: { 409: [ERRORS.toolNameTaken] },
  },
  listTools: {
    method: 'GET',
    path: '/api/v1/tools',
    tag: 'tools',
    auth: 'member',
    summary: 'List tools',
    description: 'Oldest first, cursor-paginated. Members see the enabled tools; admins see all.',
    query: PageQuery,
    responses: { 200: { description: 'A page of tools.', schema: ToolList } },
    errors: { 400: [ERRORS.invalidCursor] },
  },
  getTool: {
    method: 'GET',
    path: '/api/v1/tools/{id}',
    tag: 'tools',
    auth: 'admin',
    summary: 'Get a tool',
    description: 'One tool, without its signing secret.',
    params: IdParams,
    responses: { 200: { description: 'The tool.', schema: ToolResponse } },
    errors: { 404: [ERRORS.toolNotFound] },
  },
  updateTool: {
    method: 'PATCH',
    path: '/api/v1/tools/{id}',
    tag: 'tools',
    auth: 'admin',
    summary: 'Update a tool',
    description:
      'Absent fields are unchanged; `null` clears the signing secret. A tool keeps its kind: only webhook tools ' +
      'take `url` and `signing_secret`.',
    params: IdParams,
    body: UpdateToolBody,
    responses: { 200: { description: 'The updated tool.', schema: ToolResponse } },
    errors: { 400: [ERRORS.webhookFieldsOnly], 404: [ERRORS.toolNotFound], 409: [ERRORS.toolNameTaken] },
  },
  deleteTool: {
    method: 'DELETE',
    path: '/api/v1/tools/{id}',
    tag: 'tools',
    auth: 'admin',
    summary: 'Delete a tool',
    description:
      'The tool stops being offered, and its name is free again. Chats that list it keep its id in `tool_ids` ' +
      '(their history stays readable); their turns simply no longer see it, and a chat cannot be given it again.',
    params: IdParams,
    responses: { 204: { description: 'Deleted.', schema: NoContent } },
    errors: { 404: [ERRORS.toolNotFound] },
  },
});

export const mcpServerRoutes = defineRoutes({
  createMcpServer: {
    method: 'POST',
    path: '/api/v1/mcp-servers',
    tag: 'tools',
    auth: 'admin',
    summary: 'Add an MCP server',
    description:
      'A Model Context Protocol server (Streamable HTTP transport) whose tools the model may call, named ' +
      '`<server name>__<tool name>`. `secret_headers` are sent on every request to it: sealed on the way in, ' +
      'opened only by workers, listed back by name only. `allowed_tools` limits which of its tools are offered.',
    body: CreateMcpServerBody,
    responses: { 201: { description: 'The new MCP server.', schema: McpServerResponse } },
    errors: { 409: [ERRORS.mcpServerNameTaken] },
  },
  listMcpServers: {
    method: 'GET',
    path: '/api/v1/mcp-servers',
    tag: 'tools',
    auth: 'member',
    summary: 'List MCP servers',
    description: 'Oldest first, cursor-paginated. Members see the enabled servers; admins see all.',
    query: PageQuery,
    responses: { 200: { description: 'A page of MCP servers.', schema: McpServerList } },
    errors: { 400: [ERRORS.invalidCursor] },
  },
  getMcpServer: {
    method: 'GET',
    path: '/api/v1/mcp-servers/{id}',
    tag: 'tools',
    auth: 'admin',
    summary: 'Get an MCP server',
    description: 'One MCP server, with the names of its secret headers, never their values.',
    params: IdParams,
    responses: { 200: { description: 'The MCP server.', schema: McpServerResponse } },
    errors: { 404: [ERRORS.mcpServerNotFound] },
  },
  updateMcpServer: {
    method: 'PATCH',
    path: '/api/v1/mcp-servers/{id}',
    tag: 'tools',
    auth: 'admin',
    summary: 'Update an MCP server',
    description:
      'Absent fields are unchanged. `secret_headers` replaces the whole set (`null` removes them all); ' +
      '`allowed_tools: null` offers every tool of the server.',
    params: IdParams,
    body: UpdateMcpServerBody,
    responses: { 200: { description: 'The updated MCP server.', schema: McpServerResponse } },
    errors: { 404: [ERRORS.mcpServerNotFound], 409: [ERRORS.mcpServerNameTaken] },
  },
  deleteMcpServer: {
    method: 'DELETE',
    path: '/api/v1/mcp-servers/{id}',
    tag: 'tools',
    auth: 'admin',
    summary: 'Delete an MCP server',
    description: 'As deleting a tool: no longer offered, its name free again, chats keep its id.',
    params: IdParams,
    responses: { 204: { description: 'Deleted.', schema: NoContent } },
    errors: { 404: [ERRORS.mcpServerNotFound] },
  },
  listMcpServerTools: {
    method: 'GET',
    path: '/api/v1/mcp-servers/{id}/tools',
    tag: 'tools',
    auth: 'admin',
    summary: 'List an MCP server’s tools',
    description:
      'Has a worker connect to the server (with its secret headers) and list its tools, as the model will see ' +
      'them: named `<server name>__<tool name>`, only those `allowed_tools` lets through.',
    params: IdParams,
    responses: { 200: { description: 'The tools the model would be offered.', schema: McpToolList } },
    errors: {
      404: [ERRORS.mcpServerNotFound],
      502: [ERRORS.mcpServerFailed],
      503: [ERRORS.mcpListNotQueued],
      504: [ERRORS.mcpListTimedOut],
    },
  },
});
