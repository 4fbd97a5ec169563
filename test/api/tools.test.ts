import { ChatqApiError, type ChatqClient, type ChatqRequest } from '@chatq/client';
import { SecretBox } from '@chatq/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeMcpServer, MCP_SECRET_HEADER, MCP_SECRET_VALUE, startFakeMcp } from '../fakes/mcp.ts';
import type { ApiClient } from '../harness/http.ts';
import { refusal } from '../harness/refusal.ts';
import { startStack, TEST_SECRET_KEY, type TestStack } from '../harness/stack.ts';

const SIGNING_SECRET = 'whsec-tool-signing-secret-0123456789';
const HEADER_SECRET = 'Bearer mcp-header-secret-0123456789';
const MISSING = '0197a3b0-0000-7000-8000-000000000000';
const FORBIDDEN = { message: 'Forbidden.' };
const secrets = new SecretBox(Buffer.from(TEST_SECRET_KEY, 'hex'));

type ToolBody = ChatqRequest<'createTool'>['body'];
type ServerBody = ChatqRequest<'createMcpServer'>['body'];
type ChatBody = ChatqRequest<'createChat'>['body'];

let stack: TestStack;
let member: ChatqClient;
/** Every body the API answered this file with, answers and refusals alike, so a final check can grep them all for the secrets. */
const bodies: unknown[] = [];

beforeAll(async () => {
  stack = await startStack();
  member = await stack.memberClient();
});
afterAll(() => stack.close());

/** Records the body of the answer, or of the refusal, for the no-secret check. */
async function seen<T extends { body: unknown }>(call: Promise<T>): Promise<T> {
  try {
    const res = await call;
    bodies.push(res.body);
    return res;
  } catch (err) {
    if (err instanceof ChatqApiError) bodies.push(err.body);
    throw err;
  }
}

let n = 0;
const webhook = (extra: Partial<ToolBody> = {}): ToolBody => ({
  name: `weather_${++n}`,
  description: 'The weather in a city.',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  kind: 'webhook',
  url: 'https://tools.example.com/weather',
  ...extra,
});
const clientTool = (extra: Partial<ToolBody> = {}): ToolBody => ({
  name: `picker_${++n}`,
  description: 'Pick a date in the app.',
  input_schema: { type: 'object' },
  kind: 'client',
  ...extra,
});

async function createTool(body: ToolBody): Promise<string> {
  const res = await seen(stack.client.createTool({ body }));
  expect(res.status).toBe(201);
  return res.body.tool.id;
}

describe('tools', () => {
  it('creates a webhook tool with defaults, seals its signing secret and never returns it', async () => {
    const res = await seen(stack.client.createTool({ body: webhook({ signing_secret: SIGNING_SECRET }) }));
    expect(res.status).toBe(201);
    expect(res.body.tool).toMatchObject({
      kind: 'webhook',
      url: 'https://tools.example.com/weather',
      has_signing_secret: true,
      requires_approval: false,
      timeout_ms: 30_000,
      enabled: true,
    });
    expect(res.body.tool).not.toHaveProperty('signing_secret');
    const [row] = await stack.sql<{ signing_secret: Buffer }[]>`
      select signing_secret from tools where id = ${res.body.tool.id}`;
    expect(Buffer.from(row!.signing_secret).toString('latin1')).not.toContain(SIGNING_SECRET);
    expect(secrets.open(row!.signing_secret)).toBe(SIGNING_SECRET);
  });

  it('creates a client tool, which has no url', async () => {
    const res = await seen(stack.client.createTool({ body: clientTool({ requires_approval: true }) }));
    expect(res.status).toBe(201);
    expect(res.body.tool).toMatchObject({
      kind: 'client',
      url: null,
      has_signing_secret: false,
      requires_approval: true,
    });
  });

  it('gets, patches (clearing the secret with null), disables and soft-deletes a tool', async () => {
    const id = await createTool(webhook({ signing_secret: SIGNING_SECRET }));
    const params = { id };
    expect((await seen(stack.client.getTool({ params }))).body.tool.has_signing_secret).toBe(true);
    const patched = await seen(
      stack.client.updateTool({ params, body: { signing_secret: null, timeout_ms: 5_000, enabled: false } }),
    );
    expect(patched.status).toBe(200);
    expect(patched.body.tool).toMatchObject({ has_signing_secret: false, timeout_ms: 5_000, enabled: false });
    const rotated = await seen(stack.client.updateTool({ params, body: { signing_secret: `${SIGNING_SECRET}-2` } }));
    expect(rotated.body.tool.has_signing_secret).toBe(true);

    expect((await stack.client.deleteTool({ params })).status).toBe(204);
    const gone = await refusal(seen(stack.client.getTool({ params })));
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ message: 'Tool not found.' });
    const again = await refusal(stack.client.deleteTool({ params }));
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ message: 'Tool not found.' });
    const [row] = await stack.sql`select deleted_at from tools where id = ${id}`;
    expect(row!.deleted_at).not.toBeNull();
  });

  it('frees a deleted tool’s name, and answers 409 to a live duplicate', async () => {
    const body = webhook();
    const first = await createTool(body);
    const dup = await refusal(seen(stack.client.createTool({ body })));
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({ message: 'A tool with this name already exists.' });
    const other = await createTool(webhook());
    const renamed = await refusal(seen(stack.client.updateTool({ params: { id: other }, body: { name: body.name } })));
    expect(renamed.status).toBe(409);
    expect(renamed.body).toEqual({ message: 'A tool with this name already exists.' });
    await stack.client.deleteTool({ params: { id: first } });
    expect((await seen(stack.client.createTool({ body }))).status).toBe(201);
  });

  it.each<[string, ToolBody, string]>([
    ['a name with a space', webhook({ name: 'get weather' }), 'body.name'],
    ['a name over 64 characters', webhook({ name: 'x'.repeat(65) }), 'body.name'],
    ['a schema that is not an object schema', webhook({ input_schema: { type: 'string' } }), 'body.input_schema'],
    ['a schema nested too deeply', webhook({ input_schema: deepSchema(8) }), 'body.input_schema'],
    ['a webhook tool without a url', webhook({ url: undefined }), 'body.url'],
    ['a webhook url that is not http(s)', webhook({ url: 'file:///etc/passwd' }), 'body.url'],
    ['a client tool with a url', clientTool({ url: 'https://example.com/' }), 'body.url'],
    ['a client tool with a signing secret', clientTool({ signing_secret: 's' }), 'body.signing_secret'],
  ])('refuses %s (400, naming the field)', async (_, body, field) => {
    const err = await refusal(seen(stack.client.createTool({ body })));
    expect(err.status).toBe(400);
    expect(err.body.message).toBe('Invalid request.');
    expect(err.body.validations!.map((v) => v.field)).toContain(field);
  });

  it.each([
    ['a schema that is not an object', { ...webhook(), input_schema: ['type', 'object'] }, 'body.input_schema'],
    ['an unknown kind', { ...webhook(), kind: 'lambda' }, 'body.kind'],
  ])('refuses %s (400, naming the field)', async (_, body, field) => {
    // An array for the schema object, a kind outside the enum: the typed client would not send them.
    const res = await seen(stack.admin.post('/api/v1/tools', body));
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Invalid request.');
    expect(res.body.validations.map((v: { field: string }) => v.field)).toContain(field);
  });

  it('refuses to give a client tool a url through PATCH, changing nothing', async () => {
    const id = await createTool(clientTool());
    const err = await refusal(
      seen(stack.client.updateTool({ params: { id }, body: { url: 'https://example.com/', timeout_ms: 999 } })),
    );
    expect(err.status).toBe(400);
    expect(err.body).toEqual({
      message: 'Invalid request.',
      validations: [{ field: 'body.url', detail: 'only webhook tools have one' }],
    });
    expect((await stack.client.getTool({ params: { id } })).body.tool).toMatchObject({ url: null, timeout_ms: 30_000 });
  });

  it('lists enabled tools to members, and keeps every other tool route for admins', async () => {
    const on = await createTool(webhook({ signing_secret: SIGNING_SECRET }));
    const off = await createTool(webhook({ enabled: false }));
    const list = await seen(member.listTools({ query: { limit: 100 } }));
    expect(list.status).toBe(200);
    const ids = list.body.data.map((t) => t.id);
    expect(ids).toContain(on);
    expect(ids).not.toContain(off);
    const all = (await seen(stack.client.listTools({ query: { limit: 100 } }))).body.data.map((t) => t.id);
    expect(all).toContain(off);

    const params = { id: on };
    for (const err of [
      await refusal(seen(member.createTool({ body: webhook() }))),
      await refusal(seen(member.getTool({ params }))),
      await refusal(seen(member.updateTool({ params, body: { enabled: false } }))),
      await refusal(seen(member.deleteTool({ params }))),
    ]) {
      expect(err.status).toBe(403);
      expect(err.body).toEqual(FORBIDDEN);
    }
  });

  it('pages the list with cursors', async () => {
    await createTool(webhook());
    await createTool(webhook());
    const first = await seen(stack.client.listTools({ query: { limit: 1 } }));
    expect(first.body).toMatchObject({ has_more: true });
    const second = await seen(stack.client.listTools({ query: { limit: 1, after: first.body.next_cursor! } }));
    expect(second.body.data[0]!.id > first.body.data[0]!.id).toBe(true);
  });

  it('answers 404 for a tool that does not exist', async () => {
    const params = { id: MISSING };
    const got = await refusal(seen(stack.client.getTool({ params })));
    expect(got.status).toBe(404);
    expect(got.body).toEqual({ message: 'Tool not found.' });
    const patched = await refusal(seen(stack.client.updateTool({ params, body: { enabled: false } })));
    expect(patched.status).toBe(404);
    expect(patched.body).toEqual({ message: 'Tool not found.' });
  });
});

/** An object schema nesting `depth` object schemas (two JSON levels each: the schema, its `properties`). */
function deepSchema(depth: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < depth; i++) schema = { type: 'object', properties: { x: schema } };
  return schema;
}

describe('MCP servers', () => {
  let mcp: FakeMcpServer;
  beforeAll(async () => {
    mcp = await startFakeMcp();
  });
  afterAll(() => mcp.close());

  const server = (extra: Partial<ServerBody> = {}): ServerBody => ({
    name: `mcp_${++n}`,
    url: mcp.url,
    secret_headers: { [MCP_SECRET_HEADER]: MCP_SECRET_VALUE, Authorization: HEADER_SECRET },
    ...extra,
  });

  async function createServer(body: ServerBody) {
    const res = await seen(stack.client.createMcpServer({ body }));
    expect(res.status).toBe(201);
    return res.body.mcp_server;
  }

  it('seals secret headers as one object and lists them back by name only', async () => {
    const created = await createServer(server({ allowed_tools: ['search'] }));
    expect(created).toMatchObject({
      url: mcp.url,
      secret_header_names: [MCP_SECRET_HEADER, 'Authorization'],
      allowed_tools: ['search'],
      requires_approval: false,
      enabled: true,
    });
    const [row] = await stack.sql<{ secret_headers: Buffer }[]>`
      select secret_headers from mcp_servers where id = ${created.id}`;
    expect(Buffer.from(row!.secret_headers).toString('latin1')).not.toContain(HEADER_SECRET);
    expect(JSON.parse(secrets.open(row!.secret_headers))).toEqual({
      [MCP_SECRET_HEADER]: MCP_SECRET_VALUE,
      Authorization: HEADER_SECRET,
    });
  });

  it('lists the server’s tools through a worker, with its secret headers, named and filtered as the model sees them', async () => {
    const created = await createServer(server({ allowed_tools: ['search'] }));
    const before = mcp.received.length;
    const res = await seen(stack.client.listMcpServerTools({ params: { id: created.id } }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      tools: [
        {
          name: `${created.name}__search`,
          description: 'Search the test corpus.',
          input_schema: expect.objectContaining({ type: 'object', properties: { query: { type: 'string' } } }),
        },
      ],
    });
    const sent = mcp.received.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((h) => h.authorization === HEADER_SECRET)).toBe(true);
  });

  it('offers every tool when allowed_tools is null', async () => {
    const created = await createServer(server());
    const res = await seen(stack.client.listMcpServerTools({ params: { id: created.id } }));
    expect(res.body.tools.map((t) => t.name).sort()).toEqual([
      `${created.name}__delete_everything`,
      `${created.name}__search`,
    ]);
  });

  it('answers 502 with the reason when the server refuses the listing', async () => {
    const created = await createServer(server({ secret_headers: { [MCP_SECRET_HEADER]: 'wrong' } }));
    const err = await refusal(seen(stack.client.listMcpServerTools({ params: { id: created.id } })));
    expect(err.status).toBe(502);
    expect(err.body).toEqual({
      message: 'The MCP server did not list its tools.',
      detail: 'MCP server answered HTTP 401',
    });
  });

  it('replaces the secret headers on PATCH, clears them with null, and clears allowed_tools with null', async () => {
    const created = await createServer(server({ allowed_tools: ['search'] }));
    const params = { id: created.id };
    const patched = await seen(
      stack.client.updateMcpServer({ params, body: { secret_headers: { 'X-Other': 'v' }, allowed_tools: null } }),
    );
    expect(patched.status).toBe(200);
    expect(patched.body.mcp_server).toMatchObject({ secret_header_names: ['X-Other'], allowed_tools: null });
    const cleared = await seen(stack.client.updateMcpServer({ params, body: { secret_headers: null } }));
    expect(cleared.body.mcp_server.secret_header_names).toEqual([]);
    const [row] = await stack.sql`select secret_headers from mcp_servers where id = ${created.id}`;
    expect(row!.secret_headers).toBeNull();
  });

  it.each<[string, Partial<ServerBody>, string]>([
    ['a bad name', { name: 'my server' }, 'body.name'],
    ['a url that is not http(s)', { url: 'ftp://mcp.example.com/' }, 'body.url'],
    ['a header value with a line break', { secret_headers: { 'X-Key': 'a\r\nX-Evil: 1' } }, 'body.secret_headers'],
    ['a header name that is not a token', { secret_headers: { 'X Key': 'v' } }, 'body.secret_headers'],
    ['a bad allowed tool name', { allowed_tools: ['no spaces'] }, 'body.allowed_tools'],
  ])('refuses %s (400)', async (_, extra, field) => {
    const err = await refusal(seen(stack.client.createMcpServer({ body: server(extra) })));
    expect(err.status).toBe(400);
    expect(err.body.validations!.map((v) => v.field.split('.').slice(0, 2).join('.'))).toContain(field);
  });

  it('answers 409 to a duplicate name, 404 to a missing server, 403 to members on admin routes', async () => {
    const body = server();
    const created = await createServer(body);
    const dup = await refusal(seen(stack.client.createMcpServer({ body })));
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({ message: 'An MCP server with this name already exists.' });
    const missing = { id: MISSING };
    for (const err of [
      await refusal(seen(stack.client.getMcpServer({ params: missing }))),
      await refusal(seen(stack.client.listMcpServerTools({ params: missing }))),
      await refusal(seen(stack.client.deleteMcpServer({ params: missing }))),
    ]) {
      expect(err.status).toBe(404);
      expect(err.body).toEqual({ message: 'MCP server not found.' });
    }

    expect((await seen(member.listMcpServers({ query: { limit: 100 } }))).status).toBe(200);
    const params = { id: created.id };
    for (const err of [
      await refusal(seen(member.createMcpServer({ body: server() }))),
      await refusal(seen(member.getMcpServer({ params }))),
      await refusal(seen(member.listMcpServerTools({ params }))),
      await refusal(seen(member.updateMcpServer({ params, body: { enabled: false } }))),
      await refusal(seen(member.deleteMcpServer({ params }))),
    ]) {
      expect(err.status).toBe(403);
      expect(err.body).toEqual(FORBIDDEN);
    }

    expect((await stack.client.deleteMcpServer({ params })).status).toBe(204);
    const gone = await refusal(seen(stack.client.getMcpServer({ params })));
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ message: 'MCP server not found.' });
  });
});

describe('chats with tools', () => {
  let toolId: string;
  let serverId: string;
  let disabledId: string;

  beforeAll(async () => {
    toolId = await createTool(webhook());
    disabledId = await createTool(webhook({ enabled: false }));
    const created = await seen(
      stack.client.createMcpServer({ body: { name: `srv_${++n}`, url: 'http://127.0.0.1:9/' } }),
    );
    serverId = created.body.mcp_server.id;
  });

  const pickDate = { name: 'pick_date', description: 'Ask for a date.', input_schema: { type: 'object' } };
  const chatCount = async () => (await member.listChats({ query: { limit: 100 } })).body.data.length;

  it('creates a chat with a system prompt, tools, MCP servers and client tools, and returns them on the chat', async () => {
    const res = await seen(
      member.createChat({
        body: { system_prompt: 'Be brief.', tool_ids: [toolId, serverId], client_tools: [pickDate] },
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body.chat).toMatchObject({
      system_prompt: 'Be brief.',
      tool_ids: [toolId, serverId],
      client_tools: [pickDate],
    });
    expect((await member.getChat({ params: { chat_id: res.body.chat.id } })).body.chat).toEqual(res.body.chat);
  });

  it('gives a chat without them no prompt and empty lists', async () => {
    const res = await seen(member.createChat({ body: {} }));
    expect(res.body.chat).toMatchObject({ system_prompt: null, tool_ids: [], client_tools: [] });
  });

  it.each([
    ['an unknown id', () => [toolId, MISSING]],
    ['a disabled tool', () => [disabledId]],
  ])('refuses a chat with %s: 400 Invalid tool ID., and no chat is made', async (_, ids) => {
    const before = await chatCount();
    const err = await refusal(seen(member.createChat({ body: { content: 'Hi', tool_ids: ids() } })));
    expect(err.status).toBe(400);
    expect(err.body).toEqual({ message: 'Invalid tool ID.' });
    expect(await chatCount()).toBe(before);
  });

  it('refuses a deleted tool', async () => {
    const gone = await createTool(webhook());
    await stack.client.deleteTool({ params: { id: gone } });
    const err = await refusal(seen(member.createChat({ body: { tool_ids: [gone] } })));
    expect(err.status).toBe(400);
    expect(err.body).toEqual({ message: 'Invalid tool ID.' });
  });

  it('patches prompt, tools and client tools; null clears the prompt; absent fields stay', async () => {
    const chat = (await member.createChat({ body: { system_prompt: 'One.', tool_ids: [toolId] } })).body.chat;
    const params = { chat_id: chat.id };
    const res = await seen(member.updateChat({ params, body: { tool_ids: [serverId], client_tools: [pickDate] } }));
    expect(res.status).toBe(200);
    expect(res.body.chat).toMatchObject({
      title: chat.title,
      system_prompt: 'One.',
      tool_ids: [serverId],
      client_tools: [pickDate],
    });
    const cleared = await seen(member.updateChat({ params, body: { system_prompt: null, title: 'Renamed' } }));
    expect(cleared.body.chat).toMatchObject({ title: 'Renamed', system_prompt: null, tool_ids: [serverId] });
  });

  it('refuses a patch with an invalid tool id and changes nothing, title included', async () => {
    const chat = (await member.createChat({ body: { title: 'Before', tool_ids: [toolId] } })).body.chat;
    const params = { chat_id: chat.id };
    const err = await refusal(
      seen(member.updateChat({ params, body: { title: 'After', system_prompt: 'x', tool_ids: [disabledId] } })),
    );
    expect(err.status).toBe(400);
    expect(err.body).toEqual({ message: 'Invalid tool ID.' });
    expect((await member.getChat({ params })).body.chat).toEqual(chat);
  });

  it('keeps a deleted tool’s id on the chats that had it, and still lets them change other fields', async () => {
    const doomed = await createTool(webhook());
    const chat = (await member.createChat({ body: { tool_ids: [doomed] } })).body.chat;
    await stack.client.deleteTool({ params: { id: doomed } });
    const res = await seen(member.updateChat({ params: { chat_id: chat.id }, body: { title: 'Still here' } }));
    expect(res.status).toBe(200);
    expect(res.body.chat.tool_ids).toEqual([doomed]);
  });

  it.each<[string, () => ChatBody, string]>([
    ['a repeated tool id', () => ({ tool_ids: [toolId, toolId] }), 'body.tool_ids'],
    ['too many tool ids', () => ({ tool_ids: Array.from({ length: 33 }, () => MISSING) }), 'body.tool_ids'],
    ['client tools with the same name', () => ({ client_tools: [pickDate, pickDate] }), 'body.client_tools'],
    ['a client tool with a bad name', () => ({ client_tools: [{ ...pickDate, name: 'a b' }] }), 'body.client_tools'],
    [
      'a client tool without an object schema',
      () => ({ client_tools: [{ ...pickDate, input_schema: { type: 'array' } }] }),
      'body.client_tools',
    ],
    ['a system prompt over the limit', () => ({ system_prompt: 'x'.repeat(20_001) }), 'body.system_prompt'],
  ])('refuses %s (400)', async (_, body, field) => {
    const err = await refusal(seen(member.createChat({ body: body() })));
    expect(err.status).toBe(400);
    expect(err.body.validations!.map((v) => v.field.split('.').slice(0, 2).join('.'))).toContain(field);
  });

  it('refuses a client tool with an unknown field (400)', async () => {
    // A field client tools do not have: the typed client would not send it.
    const raw: ApiClient = stack.admin.as(member.token);
    const res = await seen(raw.post('/api/v1/chats', { client_tools: [{ ...pickDate, url: 'x' }] }));
    expect(res.status).toBe(400);
    expect(res.body.validations.map((v: { field: string }) => v.field.split('.').slice(0, 2).join('.'))).toContain(
      'body.client_tools',
    );
  });
});

describe('model configs', () => {
  it('carry an admin system prompt and max_steps (default 8, 1..64)', async () => {
    const provider = (await stack.client.createProvider({ body: { name: 'agents', kind: 'mock' } })).body.provider;
    const created = await stack.client.createModelConfig({ body: { provider_id: provider.id, model: 'a' } });
    expect(created.body.model_config).toMatchObject({ system_prompt: null, max_steps: 8 });
    const params = { id: created.body.model_config.id };
    const patched = await stack.client.updateModelConfig({
      params,
      body: { system_prompt: 'Answer in English.', max_steps: 64 },
    });
    expect(patched.body.model_config).toMatchObject({ system_prompt: 'Answer in English.', max_steps: 64 });
    const cleared = await stack.client.updateModelConfig({ params, body: { system_prompt: null } });
    expect(cleared.body.model_config).toMatchObject({ system_prompt: null, max_steps: 64 });
    for (const max_steps of [0, 65, 1.5]) {
      const bad = await refusal(stack.client.updateModelConfig({ params, body: { max_steps } }));
      expect(bad.status).toBe(400);
      expect(bad.body.message).toBe('Invalid request.');
      expect(bad.body.validations![0]!.field).toBe('body.max_steps');
    }
  });
});

describe('secrets', () => {
  it('appear in no response body of this file', () => {
    expect(bodies.length).toBeGreaterThan(20);
    for (const body of bodies) {
      const text = JSON.stringify(body);
      for (const secret of [SIGNING_SECRET, HEADER_SECRET, MCP_SECRET_VALUE]) expect(text).not.toContain(secret);
    }
  });
});
