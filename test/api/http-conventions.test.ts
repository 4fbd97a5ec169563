import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { ChatqClient } from '@chatq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../harness/http.ts';
import { refusal } from '../harness/refusal.ts';
import { ADMIN_TOKEN, startStack, type TestStack } from '../harness/stack.ts';

interface JsonSchema {
  type?: string;
  anyOf?: JsonSchema[];
  additionalProperties?: unknown;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as sent on the wire (not decompressed), or its first chunk for an event stream. */
  body: Buffer;
}

/**
 * One request with node:http, which (unlike fetch) neither adds Accept-Encoding nor decompresses,
 * so a test sees the bytes chatq sent. An event stream is cut after its first chunk.
 */
function raw(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      const done = () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) });
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (res.headers['content-type']?.startsWith('text/event-stream')) {
          res.destroy();
          done();
        }
      });
      res.on('end', done);
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Sends a HEAD request and then `GET /healthz` on one keep-alive socket, and returns what came back
 * once the second answer did. Node answers pipelined requests in order, so the probe's answer only
 * comes once the HEAD response is complete: a stream held open times out here.
 */
function headThenProbe(baseUrl: string, path: string, token: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`HEAD ${path} did not complete within 5 s; got: ${received}`));
    }, 5_000);
    socket.on('data', (chunk) => {
      received += chunk.toString();
      if (!received.endsWith('{"status":"ok"}')) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    });
    socket.on('error', reject);
    socket.write(
      `HEAD ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\n\r\n` +
        `GET /healthz HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`,
    );
  });
}

describe('HTTP conventions', () => {
  let stack: TestStack;
  let alice: ChatqClient;
  /** Alice through the untyped client: for the requests the typed one cannot (or would not) send. */
  let aliceRaw: ApiClient;
  let bobRaw: ApiClient;
  let chatId: string;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
    alice = await stack.memberClient('alice');
    aliceRaw = stack.admin.as(alice.token);
    bobRaw = stack.admin.as((await stack.memberClient('bob')).token);
    chatId = (await alice.createChat({ body: { title: 'conventions' } })).body.chat.id;
  });
  afterAll(() => stack.close());

  const messageCount = async (id: string) =>
    (await stack.sql`select count(*)::int as n from messages where chat_id = ${id}`)[0]!.n as number;

  describe('unknown body fields', () => {
    it('are refused with 400 naming the field, and nothing runs on the default model', async () => {
      // An unknown field: the typed client would not send it.
      const res = await aliceRaw.post(`/api/v1/chats/${chatId}/messages`, { content: 'hi', model_config: 'gpt-x' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        message: 'Invalid request.',
        validations: [{ field: 'body.model_config', detail: 'is not a known field' }],
      });
      expect(await messageCount(chatId)).toBe(0);
    });

    it('are each named, nested ones with their path, next to other failures', async () => {
      const me = (await alice.getMe()).body.user;
      // Unknown fields, top-level and nested: the typed client would not send them.
      const res = await stack.admin.patch(`/api/v1/users/${me.id}`, {
        rate_limits: { requests_per_min: 5, turns_per_minute: 0 },
        nick: 'al',
        role: 'admin',
      });
      expect(res.status).toBe(400);
      expect(new Set(res.body.validations.map((v: { field: string }) => v.field))).toEqual(
        new Set(['body.nick', 'body.role', 'body.rate_limits.requests_per_min', 'body.rate_limits.turns_per_minute']),
      );
    });

    it('are refused by every request body the API documents', async () => {
      // The document itself is no operation of the route table.
      const spec = (await stack.admin.get('/openapi.json')).body as {
        paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
      };
      // An optional body is documented as anyOf [the object, null].
      const objects = (schema: JsonSchema): JsonSchema[] => (schema.anyOf ?? [schema]).filter((s) => s.type !== 'null');
      const bodies = Object.entries(spec.paths).flatMap(([path, operations]) =>
        Object.entries(operations)
          .filter(([, operation]) => operation.requestBody)
          .flatMap(([method, operation]) =>
            objects(operation.requestBody!.content['application/json']!.schema).map((schema) => ({
              operation: `${method} ${path}`,
              additionalProperties: schema.additionalProperties,
            })),
          ),
      );
      expect(bodies.length).toBeGreaterThanOrEqual(10);
      expect(bodies.filter((b) => b.additionalProperties !== false)).toEqual([]);
    });

    it('are a body matter only: unknown query parameters (cache busters) are ignored', async () => {
      // A query parameter the route does not declare: the typed client would not send it.
      const res = await aliceRaw.get(`/api/v1/chats?limit=5&_=${Date.now()}`);
      expect(res.status).toBe(200);
      expect(res.body.data.map((c: { id: string }) => c.id)).toEqual([chatId]);
    });
  });

  describe('authentication', () => {
    it('accepts the bearer scheme in any case', async () => {
      for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
        // A hand-written Authorization header.
        const res = await aliceRaw.request('GET', '/api/v1/users/me', undefined, {
          authorization: `${scheme} ${alice.token}`,
        });
        expect(res.status, scheme).toBe(200);
      }
    });

    it('challenges every 401 with WWW-Authenticate, saying invalid_token when the token sent is refused', async () => {
      const anonymous = await refusal(alice.as(undefined).listChats());
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="chatq"');

      // Another scheme than Bearer: only the raw client sends it.
      const basic = await aliceRaw.request('GET', '/api/v1/chats', undefined, { authorization: 'Basic YWxpY2U6cHc=' });
      expect(basic.status).toBe(401);
      expect(basic.headers.get('www-authenticate')).toBe('Bearer realm="chatq"');

      for (const token of ['cq_unknown_token_0123456789abcdefghij', 'short']) {
        const res = await refusal(alice.as(token).listChats());
        expect(res.status, token).toBe(401);
        expect(res.body).toEqual({ message: 'Unauthorized.' });
        expect(res.headers.get('www-authenticate'), token).toBe('Bearer realm="chatq", error="invalid_token"');
      }
    });
  });

  describe('methods and paths', () => {
    // Wrong methods, unknown paths, trailing slashes and empty bodies: none of them the typed client sends.
    it('answers a known path with a wrong method 405, with the methods it has in Allow', async () => {
      const put = await aliceRaw.request('PUT', '/api/v1/chats', {});
      expect(put.status).toBe(405);
      expect(put.body).toEqual({ message: 'Method not allowed.' });
      expect(put.headers.get('allow')).toBe('GET, HEAD, POST');

      const get = await aliceRaw.get(`/api/v1/chats/${chatId}/interrupt`);
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');

      const chat = await aliceRaw.request('PUT', `/api/v1/chats/${chatId}/`, {});
      expect(chat.status).toBe(405);
      expect(chat.headers.get('allow')).toBe('DELETE, GET, HEAD, PATCH');
    });

    it('keeps 404 for a path no method has', async () => {
      for (const method of ['GET', 'PUT']) {
        const res = await aliceRaw.request(method, '/api/v1/nope');
        expect(res.status, method).toBe(404);
        expect(res.body).toEqual({ message: 'Route not found.' });
        expect(res.headers.get('allow')).toBeNull();
      }
    });

    it('treats a trailing slash as the same route', async () => {
      const list = await aliceRaw.get('/api/v1/chats/');
      expect(list.status).toBe(200);
      expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([chatId]);
      expect((await aliceRaw.get(`/api/v1/chats/${chatId}/`)).body.chat.id).toBe(chatId);
      expect((await aliceRaw.post('/api/v1/chats/', { title: 'slash' })).status).toBe(201);
    });

    it('accepts an empty JSON body on a POST that takes no body', async () => {
      const { chat } = (await alice.createChat({ body: { content: 'start a turn' } })).body;
      const res = await aliceRaw.request('POST', `/api/v1/chats/${chat.id}/interrupt`, '', {
        'content-type': 'application/json',
      });
      expect(res.status).toBe(200);
      expect(res.body.chat.id).toBe(chat.id);
    });

    it('still refuses an empty JSON body where the route takes one', async () => {
      const res = await aliceRaw.request('POST', `/api/v1/chats/${chatId}/messages`, '', {
        'content-type': 'application/json',
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: 'Request body must not be empty when content-type is application/json.' });
    });
  });

  describe('event streams', () => {
    it('answer HEAD with their headers at once and close', async () => {
      for (const path of [`/api/v1/chats/${chatId}/events`, '/api/v1/chats/watch']) {
        const [head, probe] = (await headThenProbe(stack.baseUrl, path, alice.token!)).split(/(?=HTTP\/1\.1 )/);
        expect(head, path).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
        expect(head, path).toMatch(/\r\ncontent-type: text\/event-stream; charset=utf-8\r\n/i);
        expect(head!.endsWith('\r\n\r\n'), `${path}: nothing after the headers`).toBe(true);
        expect(probe, path).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      }
    });

    it('check HEAD like GET: no token is 401, another user’s chat is 404', async () => {
      // HEAD is no operation of the table.
      const path = `/api/v1/chats/${chatId}/events`;
      expect((await aliceRaw.as(undefined).request('HEAD', path)).status).toBe(401);
      expect((await bobRaw.request('HEAD', path)).status).toBe(404);
      expect((await bobRaw.request('HEAD', '/api/v1/chats/watch')).status).toBe(200);
    });

    it('start with a retry line, so EventSource reconnects promptly', async () => {
      const res = await raw(stack.baseUrl, 'GET', `/api/v1/chats/${chatId}/events`, {
        authorization: `Bearer ${alice.token}`,
      });
      expect(res.status).toBe(200);
      expect(res.body.toString()).toMatch(/^retry: 2000\n/);
    });
  });

  describe('compression', () => {
    it('compresses JSON of 1 KiB or more with br or gzip, as the client asks', async () => {
      const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const plain = await raw(stack.baseUrl, 'GET', '/openapi.json', auth);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.length).toBeGreaterThan(1024);

      const gzip = await raw(stack.baseUrl, 'GET', '/openapi.json', { ...auth, 'accept-encoding': 'gzip' });
      expect(gzip.headers['content-encoding']).toBe('gzip');
      expect(gzip.headers.vary).toMatch(/accept-encoding/i);
      expect(gunzipSync(gzip.body)).toEqual(plain.body);

      const br = await raw(stack.baseUrl, 'GET', '/openapi.json', { ...auth, 'accept-encoding': 'br' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(brotliDecompressSync(br.body)).toEqual(plain.body);
      expect(br.body.length).toBeLessThan(plain.body.length / 3);
    });

    it('compresses a list once it reaches 1 KiB, not before', async () => {
      const carol = await stack.memberClient('carol');
      const headers = { authorization: `Bearer ${carol.token}`, 'accept-encoding': 'gzip, br' };
      await carol.createChat({ body: { title: 'one' } });
      const small = await raw(stack.baseUrl, 'GET', '/api/v1/chats', headers);
      expect(small.body.length).toBeLessThan(1024);
      expect(small.headers['content-encoding']).toBeUndefined();

      for (let i = 0; i < 8; i++) await carol.createChat({ body: { title: `chat ${i}` } });
      const big = await raw(stack.baseUrl, 'GET', '/api/v1/chats', headers);
      expect(big.headers['content-encoding']).toBe('br');
      expect(JSON.parse(brotliDecompressSync(big.body).toString()).data).toHaveLength(9);
    });

    it('never compresses an event stream', async () => {
      const res = await raw(stack.baseUrl, 'GET', '/api/v1/chats/watch', {
        authorization: `Bearer ${alice.token}`,
        'accept-encoding': 'gzip, br',
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.body.toString()).toMatch(/^retry: /);
    });

    it('leaves probes and metrics as they were', async () => {
      const gzip = { 'accept-encoding': 'gzip' };
      const health = await raw(stack.baseUrl, 'GET', '/healthz', gzip);
      expect([health.status, health.headers['content-encoding'], health.body.toString()]).toEqual([
        200,
        undefined,
        '{"status":"ok"}',
      ]);
      const metrics = await raw(stack.baseUrl, 'GET', '/metrics', gzip);
      expect(metrics.status).toBe(200);
      expect(metrics.body.length).toBeGreaterThan(1024);
      expect(metrics.headers['content-encoding']).toBeUndefined();
    });
  });

  it('sends no CORS headers when CORS_ORIGINS is unset', async () => {
    const origin = { origin: 'https://app.example.com' };
    const res = await alice.listChats(undefined, { headers: origin });
    expect(res.status).toBe(200);
    expect([...res.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(res.headers.get('vary')).toBeNull();
    // OPTIONS is no operation of the table.
    const preflight = await aliceRaw.as(undefined).request('OPTIONS', '/api/v1/chats', undefined, {
      ...origin,
      'access-control-request-method': 'POST',
    });
    expect(preflight.status).toBe(405);
  });
});

describe('CORS', () => {
  const APP = 'https://app.example.com';
  let stack: TestStack;
  let alice: ChatqClient;
  beforeAll(async () => {
    stack = await startStack({
      worker: false,
      env: { CORS_ORIGINS: `${APP}, http://localhost:5173`, RATE_LIMIT_ANONYMOUS_PER_MINUTE: '2' },
    });
    alice = await stack.memberClient('alice');
  });
  afterAll(() => stack.close());

  // OPTIONS is no operation of the table: preflights go through the raw client, without a token.
  const preflight = (origin: string) =>
    stack.admin.as(undefined).request('OPTIONS', '/api/v1/chats', undefined, {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, idempotency-key',
    });

  it('answers a preflight from an allowed origin with 204, without a token and uncounted', async () => {
    // More preflights than the anonymous limit lets through: none of them is counted.
    for (let i = 0; i < 4; i++) {
      const res = await preflight(APP);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(APP);
      expect(res.headers.get('access-control-allow-methods')).toBe('DELETE, GET, HEAD, PATCH, POST');
      expect(res.headers.get('access-control-allow-headers')?.split(', ')).toEqual([
        'authorization',
        'content-type',
        'idempotency-key',
        'last-event-id',
        'x-request-id',
      ]);
      expect(res.headers.get('access-control-max-age')).toBe('7200');
      expect(res.headers.get('ratelimit-policy')).toBeNull();
    }
    expect((await preflight('http://localhost:5173')).status).toBe(204);
  });

  it('lets an allowed origin read the headers chatq sends', async () => {
    const res = await alice.listChats(undefined, { headers: { origin: APP } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('access-control-expose-headers')?.split(', ')).toEqual([
      'ratelimit',
      'ratelimit-policy',
      'retry-after',
      'idempotent-replayed',
      'x-request-id',
    ]);
    expect(res.headers.get('vary')).toMatch(/origin/i);
  });

  it('sends other origins no CORS headers, and does not answer their preflights', async () => {
    const res = await alice.listChats(undefined, { headers: { origin: 'https://evil.example.com' } });
    expect(res.status).toBe(200);
    expect([...res.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(res.headers.get('vary')).toMatch(/origin/i);
    const refused = await preflight('https://evil.example.com');
    expect(refused.status).not.toBe(204);
    expect([...refused.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });
});

describe('CORS for any origin', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { CORS_ORIGINS: '*' } });
  });
  afterAll(() => stack.close());

  it('allows every origin with *, the same answer for all', async () => {
    const res = await stack.client.listChats(undefined, { headers: { origin: 'https://anyone.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('vary')).toBeNull();
  });
});
