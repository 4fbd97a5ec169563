import { type McpTool, mcpToolName } from '@chatq/contracts';
import type { SecretBox } from '@chatq/platform';
import type * as ClientModule from '@modelcontextprotocol/sdk/client/index.js';
import type * as TransportModule from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type * as TypesModule from '@modelcontextprotocol/sdk/types.js';

/** An MCP server as a worker reads it from Postgres. */
export interface McpServerRow {
  name: string;
  url: string;
  /** base64 of the sealed JSON `{name: value}`, or null. */
  secret_headers: string | null;
  /** The server's own tool names the model may see; null: all. */
  allowed_tools: string[] | null;
}

/** Most pages of `tools/list` a listing follows, and most tools it keeps: a server cannot flood a turn. */
const MAX_PAGES = 20;
const MAX_MCP_TOOLS = 500;

/** How chatq introduces itself to MCP servers. */
const CLIENT_INFO = { name: 'chatq', version: '0.1.0' };

/**
 * The one place a server's sealed headers are opened: the plaintext lives only in the returned
 * object, for the duration of the call.
 */
export function mcpHeaders(row: McpServerRow, secrets: SecretBox): Record<string, string> {
  return row.secret_headers
    ? (JSON.parse(secrets.open(Buffer.from(row.secret_headers, 'base64'))) as Record<string, string>)
    : {};
}

/**
 * Lists the tools of an MCP server over the Streamable HTTP transport, with the SDK's client, as
 * the model will see them: named `<server>__<tool>`, only those `allowed_tools` lets through. Every
 * request carries the secret headers and `signal`, which bounds the whole listing.
 */
export async function listMcpTools(
  row: McpServerRow,
  secrets: SecretBox,
  signal: AbortSignal,
  fetch?: typeof globalThis.fetch,
): Promise<McpTool[]> {
  const { client, transport } = await open(row, secrets, fetch);
  const allowed = row.allowed_tools && new Set(row.allowed_tools);
  const tools: McpTool[] = [];
  try {
    await client.connect(transport, { signal });
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES && tools.length < MAX_MCP_TOOLS; page++) {
      const listed = await client.listTools(cursor === undefined ? {} : { cursor }, { signal });
      for (const tool of listed.tools) {
        if (allowed && !allowed.has(tool.name)) continue;
        tools.push({
          name: mcpToolName(row.name, tool.name),
          description: tool.description ?? null,
          input_schema: tool.inputSchema,
        });
      }
      cursor = listed.nextCursor;
      if (cursor === undefined) break;
    }
  } finally {
    await client.close().catch(() => undefined);
  }
  return tools.slice(0, MAX_MCP_TOOLS);
}

/** The parts of the MCP SDK this module uses. */
type Sdk = Pick<typeof ClientModule, 'Client'> &
  Pick<typeof TransportModule, 'StreamableHTTPClientTransport' | 'StreamableHTTPError'> &
  Pick<typeof TypesModule, 'ErrorCode' | 'McpError'>;

let sdk: Sdk | undefined;

/** The MCP SDK (about 30 MB) loads on the first MCP request: most workers never make one. */
async function loadSdk(): Promise<Sdk> {
  if (!sdk) {
    const [client, transport, types] = await Promise.all([
      import('@modelcontextprotocol/sdk/client/index.js'),
      import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
      import('@modelcontextprotocol/sdk/types.js'),
    ]);
    sdk = {
      Client: client.Client,
      StreamableHTTPClientTransport: transport.StreamableHTTPClientTransport,
      StreamableHTTPError: transport.StreamableHTTPError,
      ErrorCode: types.ErrorCode,
      McpError: types.McpError,
    };
  }
  return sdk;
}

/**
 * A client for the server `row`. The transport aborts its own fetches on close(); a request's
 * `signal` rejects it first. `fetch` carries the outbound rules for admin-given URLs.
 */
async function open(row: McpServerRow, secrets: SecretBox, fetch?: typeof globalThis.fetch) {
  const { Client, StreamableHTTPClientTransport } = await loadSdk();
  const transport = new StreamableHTTPClientTransport(new URL(row.url), {
    requestInit: { headers: mcpHeaders(row, secrets) },
    ...(fetch ? { fetch } : {}),
  });
  return { client: new Client(CLIENT_INFO), transport };
}

/** What a tool call returned: its structured content when it has one, else its text parts joined. */
export interface McpCallResult {
  output: unknown;
  is_error: boolean;
}

/**
 * Calls tool `tool` (the server's own name) of server `row` with `input`, over one short-lived
 * connection, bounded by `signal`. A tool that reports an error (`isError`) is an error result; a
 * protocol or transport failure is thrown, for the caller to describe (describeMcpError).
 */
export async function callMcpTool(
  row: McpServerRow,
  tool: string,
  input: unknown,
  secrets: SecretBox,
  signal: AbortSignal,
  fetch?: typeof globalThis.fetch,
): Promise<McpCallResult> {
  const { client, transport } = await open(row, secrets, fetch);
  try {
    await client.connect(transport, { signal });
    const result = await client.callTool(
      { name: tool, arguments: (input ?? {}) as Record<string, unknown> },
      undefined,
      { signal },
    );
    const content = Array.isArray(result.content) ? (result.content as { type: string; text?: string }[]) : [];
    const output =
      result.structuredContent ??
      content
        .filter((c) => c.type === 'text')
        .map((c) => c.text)
        .join('\n');
    return { output, is_error: result.isError === true };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * Why a listing failed, in words safe to show an admin: a status or an error code, never a
 * message or body the server or the SDK wrote (it could echo a header back).
 */
export function describeMcpError(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'the MCP server did not answer in time';
  // An error of the SDK's own can only come after it loaded.
  if (sdk && err instanceof sdk.StreamableHTTPError) {
    return err.code !== undefined && err.code > 0
      ? `MCP server answered HTTP ${err.code}`
      : 'MCP server answered with something other than MCP';
  }
  if (sdk && err instanceof sdk.McpError) {
    return err.code === sdk.ErrorCode.RequestTimeout
      ? 'the MCP server did not answer in time'
      : `MCP server answered with JSON-RPC error ${err.code}`;
  }
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return `could not reach the MCP server (${code})`;
  }
  return 'the MCP server could not be listed';
}
