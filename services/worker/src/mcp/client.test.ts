import { SecretBox } from '@chatq/platform';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { describeMcpError, listMcpTools, type McpServerRow } from './client.ts';

const secrets = new SecretBox(Buffer.alloc(32, 7));
const row = (url: string, headers?: Record<string, string>): McpServerRow => ({
  name: 'srv',
  url,
  secret_headers: headers ? secrets.seal(JSON.stringify(headers)).toString('base64') : null,
  allowed_tools: null,
});

/** What a listing of `server` fails with, as an admin would read it. */
async function failure(server: McpServerRow, signal: AbortSignal): Promise<string> {
  try {
    await listMcpTools(server, secrets, signal);
  } catch (err) {
    return describeMcpError(err, signal);
  }
  throw new Error('expected the listing to fail');
}

describe('MCP listing failures, as admins read them', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  /** An HTTP server on 127.0.0.1 that answers every request with `handle`. */
  async function listen(handle: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handle);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  }

  it('names the error code when nothing listens', async () => {
    const url = await listen(() => undefined);
    await new Promise((resolve) => server!.close(resolve));
    expect(await failure(row(url), AbortSignal.timeout(5_000))).toBe('could not reach the MCP server (ECONNREFUSED)');
  });

  it('says the server did not answer in time when it hangs past the deadline', async () => {
    const url = await listen(() => undefined);
    expect(await failure(row(url), AbortSignal.timeout(200))).toBe('the MCP server did not answer in time');
  });

  it('gives the HTTP status, never the body a server wrote (it may echo a header back)', async () => {
    const secret = 'Bearer do-not-echo-0123';
    const url = await listen((req, res) => res.writeHead(403).end(`forbidden: ${req.headers.authorization}`));
    const said = await failure(row(url, { Authorization: secret }), AbortSignal.timeout(5_000));
    expect(said).toBe('MCP server answered HTTP 403');
  });
});
