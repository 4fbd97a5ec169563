import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/** The header and value the fake wants on every request; anything else is answered 401. */
export const MCP_SECRET_HEADER = 'X-Mcp-Key';
export const MCP_SECRET_VALUE = 'mcp-secret-0123456789abcdef';

/** A real MCP server (the SDK's McpServer on its Streamable HTTP transport) on 127.0.0.1. */
export interface FakeMcpServer {
  /** Where the MCP endpoint is: `http://127.0.0.1:port/mcp`. */
  url: string;
  /** Headers of every request it received, in order. */
  received: IncomingHttpHeaders[];
  close: () => Promise<void>;
}

/** The server's tools: `search`, which chatq's tests allow, and `delete_everything`, which they hide. */
function mcpServer(): McpServer {
  const server = new McpServer({ name: 'chatq-test-mcp', version: '1.0.0' });
  server.registerTool(
    'search',
    { description: 'Search the test corpus.', inputSchema: { query: z.string() } },
    async ({ query }) => ({ content: [{ type: 'text', text: `results for ${query}` }] }),
  );
  server.registerTool(
    'delete_everything',
    { description: 'A tool no chat should see.', inputSchema: { confirm: z.boolean() } },
    async () => ({ content: [{ type: 'text', text: 'gone' }] }),
  );
  return server;
}

/** Stateless: a fresh McpServer and transport per request, as the SDK recommends without sessions. */
export async function startFakeMcp(): Promise<FakeMcpServer> {
  const received: IncomingHttpHeaders[] = [];
  const http = createServer((req, res) => {
    received.push(req.headers);
    if (req.headers[MCP_SECRET_HEADER.toLowerCase()] !== MCP_SECRET_VALUE) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'bad key' }));
      return;
    }
    const server = mcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    void server
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch((err: unknown) => res.destroy(err as Error));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    received,
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
