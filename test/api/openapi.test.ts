import { buildApp } from '@chatq/api/app.ts';
import { loadApiConfig } from '@chatq/api/config.ts';
import { createTurnQueue } from '@chatq/chat-core';
import {
  ERRORS,
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiOperation,
  openApiDocument,
  type OperationId,
  RESPONSE_HEADERS,
  routes,
  type RouteSpec,
} from '@chatq/contracts';
import { createLogger, createRedis, loadMigrations, type RedisClient as Redis } from '@chatq/platform';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Queue } from 'bullmq';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FakeMcpServer, MCP_SECRET_HEADER, MCP_SECRET_VALUE, startFakeMcp } from '../fakes/mcp.ts';
import { settledChat, turnReaches } from '../harness/chats.ts';
import { createTestDatabase, type TestDatabase } from '../harness/db.ts';
import { ADMIN_TOKEN, startStack, type TestStack, testEnv } from '../harness/stack.ts';

/**
 * Served on purpose without being in the route table or the document: the document itself, its
 * HTML viewer and Prometheus metrics. They are for people and scrapers, not API clients, and a
 * client generated from the table must not grow methods for them.
 */
const INFRASTRUCTURE = /^GET \/(openapi\.json|metrics|docs(\/.*)?|console\/console\.(js|css)|)$/;

const doc: OpenApiDocument = openApiDocument();
const operations = Object.values(doc.paths).flatMap((ops) => Object.values(ops));
const operation = (id: OperationId) => operations.find((op) => op.operationId === id)!;

describe('the route table', () => {
  let db: TestDatabase;
  let redis: Redis;
  let queue: Queue;
  let app: FastifyInstance;
  const served: RouteOptions[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = createRedis(inject('redisUrl'), 'consumer');
    queue = createTurnQueue(redis, 'openapi');
    const logger = createLogger({ service: 'test', level: 'silent' });
    const config = loadApiConfig(testEnv(db, 'openapi'));
    app = buildApp({ config, logger, sql: db.sql, redis, queue, migrations: await loadMigrations() });
    app.addHook('onRoute', (route) => {
      served.push(route);
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await queue.close();
    redis.disconnect();
    await db.drop();
  });

  it('is exactly what the server serves, apart from its infrastructure routes', () => {
    const table = Object.values(routes).map((r) => `${r.method} ${r.path.replace(/\{(\w+)\}/g, ':$1')}`);
    // fastify answers HEAD for every GET by itself.
    const routed = servedRoutes(app).filter((name) => !name.startsWith('HEAD '));
    expect(routed.filter((name) => !INFRASTRUCTURE.test(name)).sort()).toEqual(table.sort());
    expect(routed).toEqual(
      expect.arrayContaining(['GET /openapi.json', 'GET /docs', 'GET /metrics', 'GET /', 'GET /console/console.js']),
    );
  });

  it('guards admin routes, counts turns and registers each route with its operation’s schemas', () => {
    const table: RouteSpec[] = Object.values(routes);
    for (const route of table) {
      const options = served.find(
        (r) => r.method === route.method && r.url === route.path.replace(/\{(\w+)\}/g, ':$1'),
      );
      expect(Boolean(options!.preHandler), route.operationId).toBe(route.auth === 'admin');
      expect(options!.config?.startsTurn, route.operationId).toBe(route.startsTurn);
      expect((options!.schema as { params?: unknown }).params, route.operationId).toBe(route.params);
    }
  });

  it('serves the generated document at /openapi.json and in the interactive reference at /docs', async () => {
    expect((await app.inject({ method: 'GET', url: '/openapi.json' })).json()).toEqual(doc);
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    // Every asset comes from this server: the reference works offline.
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(expect.arrayContaining(['/docs/static/swagger-ui-bundle.js']));
    for (const asset of assets) {
      expect((await app.inject({ method: 'GET', url: asset })).statusCode, asset).toBe(200);
    }
    expect((await app.inject({ method: 'GET', url: '/docs/json' })).json()).toEqual(doc);
  });
});

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with a described tag for every operation’s tag and bearer auth', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const tags = doc.tags.map((t) => t.name);
    for (const op of operations) expect(tags).toEqual(expect.arrayContaining(op.tags));
    for (const tag of doc.tags) expect(tag.description).not.toBe('');
  });

  it('gives every operation an operationId, a summary, a description and its security', () => {
    expect(operations.map((op) => op.operationId).sort()).toEqual(Object.keys(routes).sort());
    for (const op of operations) {
      expect(op.summary, op.operationId).toMatch(/\w/);
      expect(op.description, op.operationId).toMatch(/\w/);
    }
    const publicOps = operations.filter((op) => op.security).map((op) => [op.operationId, op.security]);
    expect(publicOps).toEqual([
      ['getHealth', []],
      ['getReadiness', []],
    ]);
  });

  it('lists each error status on its own, with the messages it can carry as examples', () => {
    for (const op of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        expect(status, op.operationId).toMatch(/^([1-5]\d\d|5XX)$/);
        if (!/^[45]|5XX/.test(status) || op.operationId === 'getReadiness') continue;
        const examples = Object.values(response.content!['application/json']!.examples ?? {});
        expect(examples.length, `${op.operationId} ${status}`).toBeGreaterThan(0);
        for (const { summary, value } of examples) expect(saidIn(value)).toContain(summary);
      }
    }
  });

  it('documents exactly what editing a message can answer', () => {
    const edit = doc.paths['/api/v1/chats/{chat_id}/messages/{message_id}']!.patch!;
    expect(Object.keys(edit.responses)).toEqual([
      '200',
      '400',
      '401',
      '402',
      '404',
      '409',
      '413',
      '415',
      '422',
      '429',
      '503',
      '5XX',
    ]);
    expect(messages(edit, '503')).toEqual(['Queue storage is full; no turn was started. Retry later.']);
    expect(messages(edit, '400')).toEqual(
      expect.arrayContaining(['Invalid request.', 'Cannot modify an archived chat.', 'Invalid model config ID.']),
    );
    expect(messages(edit, '404')).toEqual(['Chat not found.', 'Chat message not found.']);
    expect(messages(edit, '409')).toEqual(['A request with this Idempotency-Key is still in progress.']);
    expect(messages(edit, '422')).toEqual(['Idempotency key reused with different parameters.']);
    expect(edit.parameters!.map((p) => `${p.in} ${p.name}`)).toEqual([
      'path chat_id',
      'path message_id',
      'header idempotency-key',
    ]);
  });

  it('documents the headers of every response', () => {
    for (const op of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        const headers = Object.keys(response.headers);
        // Probes are never rate limited, so they carry no rate-limit headers.
        const limits = ['RateLimit-Policy', 'RateLimit'];
        expect(headers, `${op.operationId} ${status}`).toContain('X-Request-Id');
        if (op.tags.includes('health')) expect(headers, `${op.operationId} ${status}`).not.toContain(limits[0]);
        else expect(headers, `${op.operationId} ${status}`).toEqual(expect.arrayContaining(limits));
        if (['429', '5XX'].includes(status)) expect(headers, `${op.operationId} ${status}`).toContain('Retry-After');
        if (status === '401') expect(headers, `${op.operationId} ${status}`).toContain('WWW-Authenticate');
      }
    }
    const send = operation('sendMessage').responses;
    expect(Object.keys(send['201']!.headers)).toContain('Idempotent-Replayed');
    expect(Object.keys(send['409']!.headers)).toContain('Retry-After');
    expect(Object.keys(send['401']!.headers)).not.toContain('Idempotent-Replayed');
    // The readiness probe's 503 is its verdict, not an outage with a time to come back.
    expect(Object.keys(operation('getReadiness').responses['503']!.headers)).not.toContain('Retry-After');
    expect(Object.keys(operation('testProvider').responses['503']!.headers)).toContain('Retry-After');
    expect(Object.keys(doc.components.headers).sort()).toEqual(Object.keys(RESPONSE_HEADERS).sort());
  });

  it('documents event streams as text/event-stream with each event’s schema, and resuming by Last-Event-ID', () => {
    for (const id of ['streamChatEvents', 'watchChats'] as const) {
      const op = operation(id);
      expect(Object.keys(op.responses['200']!.content!)).toEqual(['text/event-stream']);
      expect(op.responses['401']!.content!['application/json']!.schema).toEqual({
        $ref: '#/components/schemas/ErrorBody',
      });
      expect(op.parameters).toEqual(
        expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'last-event-id' })]),
      );
    }
    expect(operation('streamChatEvents').responses['200']!.content!['text/event-stream']!.schema).toEqual({
      $ref: '#/components/schemas/ChatEvent',
    });
    expect(operation('watchChats').responses['200']!.content!['text/event-stream']!.schema).toEqual({
      $ref: '#/components/schemas/ChatStatusChange',
    });
  });

  it('shares the contract models as components', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Chat', 'Message', 'Turn', 'User', 'Provider', 'ModelConfig', 'ErrorBody', 'ChatEvent']),
    );
    const list = operation('listChats');
    expect(list.parameters!.map((p) => p.name)).toEqual(['limit', 'after', 'before', 'status', 'archived', 'q']);
    expect(JSON.stringify(list.responses['200'])).toContain('"$ref":"#/components/schemas/Chat"');
  });

  it('documents only error messages the server can send', () => {
    const source = serverSource();
    const documented = new Set(
      operations.flatMap((op) => Object.keys(op.responses).flatMap((status) => messages(op, status))),
    );
    expect([...documented].filter((message) => !source.includes(`'${message}'`))).toEqual([]);
    expect([...documented].sort()).toEqual([...new Set(Object.values(ERRORS).map((e) => e.message))].sort());
  });
});

/**
 * A tour of the API that calls every operation, as the documented client would, and checks every
 * answer against the document: its status is documented, its body matches the documented schema
 * (each streamed event too), an error's message is one listed for that status, and each header
 * chatq sends is documented on that response.
 */
describe('every response of a tour of the API', () => {
  let stack: TestStack;
  let mcp: FakeMcpServer;
  const seen: Answer[] = [];

  interface Answer {
    operationId: OperationId;
    status: number;
    headers: Headers;
    body: unknown;
    events?: { type: string; data: unknown }[];
  }
  interface Call {
    params?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
    token?: string | null;
  }

  /** Calls an operation by its table entry and records the answer. */
  async function call(operationId: OperationId, options: Call = {}): Promise<Answer> {
    const route = routes[operationId];
    const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => options.params![name]!);
    const query = options.query ? `?${new URLSearchParams(options.query)}` : '';
    const token = options.token === undefined ? ADMIN_TOKEN : options.token;
    const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const controller = new AbortController();
    const res = await fetch(`${stack.baseUrl}${path}${query}`, {
      method: route.method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: payload,
      signal: controller.signal,
    });
    const answer: Answer = { operationId, status: res.status, headers: res.headers, body: undefined };
    if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
      answer.events = await firstEvents(res, 1);
      controller.abort();
    } else {
      const text = await res.text();
      answer.body = text ? JSON.parse(text) : undefined;
    }
    seen.push(answer);
    return answer;
  }

  beforeAll(async () => {
    stack = await startStack();
    mcp = await startFakeMcp();
  });
  afterAll(async () => {
    await stack.close();
    await mcp.close();
  });

  it('calls every operation and gets documented answers', async () => {
    // Probes and the caller.
    await call('getHealth', { token: null });
    await call('getReadiness', { token: null });
    await call('getMe');
    await call('getMe', { token: null });

    // Users: a member with a token, and one whose rate limit is one request a minute.
    const member = await call('createUser', { body: { username: 'tour-member' } });
    await call('createUser', { body: { username: 'tour-member' } });
    const memberId = (member.body as { user: { id: string } }).user.id;
    const token = ((await call('createToken', { params: { id: memberId } })).body as { token: string }).token;
    const stranger = await call('createUser', { body: { username: 'tour-stranger' } });
    const strangerId = (stranger.body as { user: { id: string } }).user.id;
    const strangerToken = ((await call('createToken', { params: { id: strangerId } })).body as { token: string }).token;
    const limited = await call('createUser', { body: { username: 'tour-limited' } });
    const limitedId = (limited.body as { user: { id: string } }).user.id;
    await call('updateUser', { params: { id: limitedId }, body: { rate_limits: { requests_per_minute: 1 } } });
    await call('updateUser', { params: { id: '0197a3b0-0000-7000-8000-000000000000' }, body: { rate_limits: {} } });
    const limitedToken = ((await call('createToken', { params: { id: limitedId } })).body as { token: string }).token;
    await call('getMe', { token: limitedToken });
    await call('getMe', { token: limitedToken });
    await call('listUsers', { query: { limit: '1' } });
    await call('listUsers', { token });

    // Tokens: a named, expiring one, listed (not to strangers), revoked once and then not found.
    const adminId = ((await call('getMe')).body as { user: { id: string } }).user.id;
    await call('updateUser', { params: { id: adminId }, body: { disabled: true } });
    const extra = await call('createToken', {
      params: { id: memberId },
      body: { name: 'tour', expires_in_days: 7 },
      token,
    });
    const extraId = (extra.body as { token_info: { id: string } }).token_info.id;
    await call('createToken', { params: { id: memberId }, token: strangerToken });
    await call('listTokens', { params: { id: memberId }, query: { limit: '1' }, token });
    await call('listTokens', { params: { id: memberId }, token: strangerToken });
    await call('revokeToken', { params: { id: memberId, token_id: extraId }, token });
    await call('revokeToken', { params: { id: memberId, token_id: extraId }, token });

    // Providers and models: a slow mock, so turns stay in flight long enough to queue and interrupt.
    const provider = await call('createProvider', { body: { name: 'tour-mock', kind: 'mock' } });
    const providerId = (provider.body as { provider: { id: string } }).provider.id;
    await call('createProvider', { body: { name: 'tour-mock', kind: 'mock' }, token });
    await call('listProviders', { query: { limit: '1' } });
    await call('listProviders', { query: { after: 'not-a-cursor' } });
    await call('getProvider', { params: { id: providerId } });
    await call('updateProvider', { params: { id: providerId }, body: { options: {} } });
    const model = await call('createModelConfig', {
      body: { provider_id: providerId, model: 'tour-slow', options: { latency_ms: 3_000 } },
    });
    const modelId = (model.body as { model_config: { id: string } }).model_config.id;
    await call('listModelConfigs', { token });
    await call('getModelConfig', { params: { id: modelId }, token });
    await call('updateModelConfig', { params: { id: modelId }, body: { display_name: 'Tour (slow)' } });
    await call('testProvider', { params: { id: providerId }, body: { model: 'tour-fast' } });

    // Tools and MCP servers, which the chat below offers its model.
    const weather = {
      name: 'tour_weather',
      description: 'The weather in a city.',
      input_schema: { type: 'object', properties: { city: { type: 'string' } } },
      kind: 'webhook',
      url: 'http://127.0.0.1:9/weather',
      signing_secret: 'tour-signing-secret',
    };
    const tool = await call('createTool', { body: weather });
    await call('createTool', { body: weather });
    const toolId = (tool.body as { tool: { id: string } }).tool.id;
    await call('listTools', { token });
    await call('getTool', { params: { id: toolId } });
    await call('getTool', { params: { id: toolId }, token });
    await call('updateTool', { params: { id: toolId }, body: { timeout_ms: 5_000 } });
    const picker = { name: 'tour_picker', description: 'Pick.', input_schema: { type: 'object' }, kind: 'client' };
    const client = await call('createTool', { body: picker });
    const clientId = (client.body as { tool: { id: string } }).tool.id;
    await call('updateTool', { params: { id: clientId }, body: { url: 'http://127.0.0.1:9/' } });
    const server = await call('createMcpServer', {
      body: {
        name: 'tour_mcp',
        url: mcp.url,
        secret_headers: { [MCP_SECRET_HEADER]: MCP_SECRET_VALUE },
        allowed_tools: ['search'],
      },
    });
    const serverId = (server.body as { mcp_server: { id: string } }).mcp_server.id;
    await call('listMcpServers', { token });
    await call('getMcpServer', { params: { id: serverId } });
    await call('updateMcpServer', { params: { id: serverId }, body: { requires_approval: true } });
    await call('listMcpServerTools', { params: { id: serverId } });
    const locked = await call('createMcpServer', { body: { name: 'tour_mcp_locked', url: mcp.url } });
    await call('listMcpServerTools', { params: { id: (locked.body as { mcp_server: { id: string } }).mcp_server.id } });
    await call('createChat', { token, body: { tool_ids: [clientId, '0197a3b0-0000-7000-8000-000000000000'] } });

    // A chat with a turn in flight: send behind it, withdraw, interrupt, then edit.
    const created = await call('createChat', {
      token,
      body: {
        content: 'Hello',
        model_config_id: modelId,
        system_prompt: 'Be brief.',
        tool_ids: [toolId, serverId],
        client_tools: [{ name: 'pick_date', input_schema: { type: 'object' } }],
      },
    });
    const chat = created.body as { chat: { id: string }; message: { id: string }; turn: { id: string } };
    const chatId = chat.chat.id;
    await call('streamChatEvents', { params: { chat_id: chatId }, query: { after: '0' }, token });
    await call('watchChats', { token, query: { after: '0' } });
    await call('listChats', { token });
    await call('getChat', { params: { chat_id: chatId }, token });
    await call('getChat', { params: { chat_id: chatId }, token: strangerToken });
    await call('getTurn', { params: { chat_id: chatId, turn_id: chat.turn.id }, token });
    const queued = await call('sendMessage', { params: { chat_id: chatId }, body: { content: 'And then?' }, token });
    const queuedId = (queued.body as { queued_message: { id: string } }).queued_message.id;
    await call('listMessages', { params: { chat_id: chatId }, token });
    await call('deleteQueuedMessage', { params: { chat_id: chatId, id: queuedId }, token });
    await call('deleteQueuedMessage', { params: { chat_id: chatId, id: queuedId }, token });
    await call('interruptChat', { params: { chat_id: chatId }, token });
    await settledChat(stack.client.as(token), chatId);
    await call('interruptChat', { params: { chat_id: chatId }, token });
    const first = { params: { chat_id: chatId, message_id: chat.message.id }, token };
    const again = { body: { content: 'Hello again' }, headers: { 'idempotency-key': 'tour-1' } };
    const edited = await call('editMessage', { ...first, ...again });
    await call('editMessage', { ...first, ...again });
    await call('editMessage', { ...first, ...again, body: { content: 'Other' } });
    // An edit replaces the message: the old one is gone, later edits address the new one.
    await call('editMessage', { ...first, body: { content: 'Hi' } });
    const edit = {
      params: { chat_id: chatId, message_id: (edited.body as { message: { id: string } }).message.id },
      token,
    };
    await call('editMessage', {
      ...edit,
      body: { content: 'Hi', model_config_id: '0197a3b0-0000-7000-8000-000000000000' },
    });
    await call('editMessage', { ...edit, rawBody: '{"content":' });
    await call('editMessage', { ...edit, rawBody: 'x'.repeat(300_000) });
    await call('editMessage', { ...edit, body: { content: 'Hi' }, headers: { 'content-type': 'text/xml' } });
    await call('editMessage', { ...edit, body: { content: 'Hi' }, token: null });
    await call('updateChat', { params: { chat_id: chatId }, body: { archived: true }, token });
    await call('sendMessage', { params: { chat_id: chatId }, body: { content: 'Archived?' }, token });
    await call('editMessage', { ...edit, body: { content: 'Archived?' } });

    // Agents: a turn that calls a client tool waits for the caller's output; one that calls a tool
    // needing approval waits for the owner's decision.
    const asMember = stack.client.as(token);
    const agentModel = async (name: string, tool: string) =>
      (
        (
          await call('createModelConfig', {
            body: { provider_id: providerId, model: name, options: { tool_calls: [{ name: tool, input: {} }] } },
          })
        ).body as { model_config: { id: string } }
      ).model_config.id;
    const asking = await call('createChat', {
      token,
      body: {
        content: 'When?',
        model_config_id: await agentModel('tour-asks', 'pick_date'),
        client_tools: [{ name: 'pick_date', input_schema: { type: 'object' } }],
      },
    });
    const ask = asking.body as { chat: { id: string }; turn: { id: string } };
    const askParams = { chat_id: ask.chat.id, turn_id: ask.turn.id };
    const waiting = await turnReaches(asMember, ask.chat.id, ask.turn.id, ['requires_action']);
    const callId = waiting.pending_tool_calls![0]!.tool_call_id;
    await call('submitToolOutputs', {
      params: askParams,
      body: { outputs: [{ tool_call_id: 'x', output: 1 }] },
      token,
    });
    await call('submitToolOutputs', {
      params: askParams,
      body: { outputs: [{ tool_call_id: callId, output: 1 }] },
      token,
    });
    await call('submitToolOutputs', {
      params: askParams,
      body: { outputs: [{ tool_call_id: callId, output: 1 }] },
      token,
    });
    const gate = await call('createTool', {
      body: { ...weather, name: 'tour_gated', requires_approval: true },
    });
    const gated = await call('createChat', {
      token,
      body: {
        content: 'Weather?',
        model_config_id: await agentModel('tour-gated', 'tour_gated'),
        tool_ids: [(gate.body as { tool: { id: string } }).tool.id],
      },
    });
    const gatedChat = gated.body as { chat: { id: string }; turn: { id: string } };
    const gatedParams = { chat_id: gatedChat.chat.id, turn_id: gatedChat.turn.id };
    const held = await turnReaches(asMember, gatedChat.chat.id, gatedChat.turn.id, ['awaiting_approval']);
    const decision = { tool_call_id: held.pending_tool_calls![0]!.tool_call_id, approve: false, reason: 'not now' };
    await call('decideApprovals', { params: gatedParams, body: { decisions: [decision] }, token });
    await call('decideApprovals', { params: gatedParams, body: { decisions: [decision] }, token });

    // The OpenAI facade: models, a chat completion, responses chained, a background one cancelled,
    // conversations.
    const facadeModel = await call('createModelConfig', {
      body: { provider_id: providerId, model: 'tour-openai', display_name: 'Tour OpenAI' },
    });
    const facadeModelId = (facadeModel.body as { model_config: { id: string } }).model_config.id;
    await call('openaiListModels', { token });
    await call('openaiGetModel', { params: { model: 'Tour OpenAI' }, token });
    await call('openaiGetModel', { params: { model: 'no-such-model' }, token });
    const hi = [{ role: 'user', content: 'Hi' }];
    await call('openaiCreateChatCompletion', { token, body: { model: facadeModelId, messages: hi } });
    await call('openaiCreateChatCompletion', { token, body: { model: facadeModelId, messages: hi, logprobs: true } });
    await call('openaiCreateChatCompletion', { token, body: { model: 'no-such-model', messages: hi } });
    const answered = await call('openaiCreateResponse', { token, body: { model: facadeModelId, input: 'Hi' } });
    const responseId = (answered.body as { id: string }).id;
    await call('openaiCreateResponse', {
      token,
      body: { model: facadeModelId, input: 'And then?', previous_response_id: responseId },
    });
    await call('openaiCreateResponse', {
      token,
      body: { model: facadeModelId, input: [{ role: 'assistant', content: 'x' }], previous_response_id: responseId },
    });
    await call('openaiGetResponse', { params: { response_id: responseId }, token });
    await call('openaiGetResponse', { params: { response_id: responseId }, token: strangerToken });
    await call('openaiListResponseInputItems', { params: { response_id: responseId }, token });
    const background = await call('openaiCreateResponse', {
      token,
      body: { model: modelId, input: 'Slowly', background: true },
    });
    const backgroundParams = { response_id: (background.body as { id: string }).id };
    await call('openaiCancelResponse', { params: backgroundParams, token });
    await call('openaiCancelResponse', { params: backgroundParams, token });
    const conversation = await call('openaiCreateConversation', { token, body: {} });
    const conversationParams = { conversation_id: (conversation.body as { id: string }).id };
    await call('openaiGetConversation', { params: conversationParams, token });
    await call('openaiListConversationItems', { params: conversationParams, token });
    await call('openaiDeleteConversation', { params: conversationParams, token });
    await call('openaiGetConversation', { params: conversationParams, token });
    await call('openaiDeleteResponse', { params: { response_id: responseId }, token });
    await call('openaiDeleteResponse', { params: { response_id: responseId }, token });

    // Usage, then clean up.
    await call('getChatUsage', { params: { chat_id: chatId }, token });
    await call('getMyUsage', { token, query: { from: '2025-01-01T00:00:00Z' } });
    await call('getUserUsage', { params: { id: memberId }, token });
    await call('getUserUsage', { params: { id: memberId }, token: strangerToken });
    await call('getUsageReport', { query: { group_by: 'model_config', from: '2025-01-01T00:00:00Z' } });
    await call('getUsageReport', { query: { group_by: 'week' } });
    await call('getUsageReport', { query: { group_by: 'day' }, token });
    // The audit log: every change above, and the refusals.
    await call('listAuditEvents', { query: { action: 'provider.update', limit: '5' } });
    await call('listAuditEvents', { query: { action: 'provider.updated' } });
    await call('listAuditEvents', { token });
    await call('getMyLimits', { token });
    await call('getUserLimits', { params: { id: memberId } });
    await call('getUserLimits', { params: { id: memberId }, token: strangerToken });
    // A spend limit the next turn on a priced model does not fit: 402.
    const priced = await call('createModelConfig', {
      body: { provider_id: providerId, model: 'tour-priced', input_price_per_mtok: 1, output_price_per_mtok: 1 },
    });
    await call('updateUser', {
      params: { id: strangerId },
      body: { spend_limit: { amount_micros: 0, period: 'day' } },
    });
    await call('createChat', {
      body: { content: 'hi', model_config_id: (priced.body as { model_config: { id: string } }).model_config.id },
      token: strangerToken,
    });
    await call('deleteChat', { params: { chat_id: chatId }, token });
    await call('deleteTool', { params: { id: toolId } });
    await call('deleteTool', { params: { id: toolId } });
    await call('deleteMcpServer', { params: { id: serverId } });
    await call('deleteModelConfig', { params: { id: modelId } });
    await call('deleteProvider', { params: { id: providerId } });
    await call('deleteProvider', { params: { id: providerId } });
    await call('updateUser', { params: { id: strangerId }, body: { disabled: true } });
    await call('getMe', { token: strangerToken });

    const succeeded = new Set(seen.filter((a) => a.status < 300).map((a) => a.operationId));
    expect(Object.keys(routes).filter((id) => !succeeded.has(id as OperationId))).toEqual([]);
    expect(new Set(seen.map((a) => a.status))).toEqual(
      new Set([200, 201, 202, 204, 400, 401, 402, 403, 404, 409, 413, 415, 422, 429, 502]),
    );
    expect(seen.flatMap((answer) => mismatches(answer))).toEqual([]);
  });

  /** What in an answer the document does not say. */
  function mismatches(answer: Answer): string[] {
    const op = operation(answer.operationId);
    const name = `${answer.operationId} ${answer.status}`;
    const documented = op.responses[answer.status] ?? (answer.status >= 500 ? op.responses['5XX'] : undefined);
    if (!documented) return [`${name}: status not documented`];
    const problems: string[] = [];
    for (const header of Object.keys(RESPONSE_HEADERS)) {
      const listed = header in documented.headers;
      if (answer.headers.has(header) && !listed) problems.push(`${name}: sends undocumented ${header}`);
      if (listed && RESPONSE_HEADERS[header as keyof typeof RESPONSE_HEADERS].required && !answer.headers.has(header)) {
        problems.push(`${name}: lacks ${header}`);
      }
    }
    if (answer.status === 204) return answer.body === undefined ? problems : [...problems, `${name}: has a body`];
    const [[mediaType, media]] = Object.entries(documented.content!) as [[string, { schema: JsonSchema }]];
    const bodies = mediaType === 'text/event-stream' ? answer.events! : [answer.body];
    for (const body of bodies) {
      if (!validate(media.schema, body)) problems.push(`${name}: ${ajv.errorsText()} in ${JSON.stringify(body)}`);
    }
    if (answer.status >= 400 && !isDocumented(saidIn(answer.body), messages(op, String(answer.status)))) {
      problems.push(`${name}: undocumented message ${JSON.stringify(answer.body)}`);
    }
    return problems;
  }
});

/** Every route a server serves, as `METHOD /path`, read from fastify's route tree (segments by depth). */
function servedRoutes(app: FastifyInstance): string[] {
  const path: string[] = [];
  return app
    .printRoutes()
    .split('\n')
    .flatMap((line) => {
      const node = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
      if (!node) return [];
      path.length = node[1]!.length / 4;
      path.push(node[2]!);
      return (node[3]?.split(', ') ?? []).map((method) => `${method} ${path.join('')}`);
    });
}

/** Validates against the document's own JSON Schemas, `$ref`s to its components included. */
const ajv = addFormats.default(new Ajv2020({ strict: false, allErrors: true }));
ajv.addSchema({ $id: 'chatq-openapi', components: doc.components });
function validate(schema: JsonSchema, value: unknown): boolean {
  const resolved = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"chatq-openapi#/components/'));
  return ajv.validate(resolved, value);
}

/**
 * The message an error body says: chatq's `message`, or under `/openai/v1` OpenAI's
 * `error.message`, which is chatq's message followed by its detail and validations.
 */
function saidIn(body: unknown): string {
  const error = (body as { error?: { message: string } }).error;
  return error ? error.message : (body as { message: string }).message;
}

/** Whether a said message is one of the documented ones (the facade's start with one). */
function isDocumented(said: string, documented: string[]): boolean {
  if (documented.includes(said)) return true;
  // OpenAI's words for a refused field: chatq's `Invalid request.` with one validation.
  if (said.startsWith('Unsupported parameter:')) return documented.includes('Invalid request.');
  return documented.some((message) => said.startsWith(`${message} `));
}

/** The error messages an operation documents for a status. */
function messages(op: OpenApiOperation, status: string): string[] {
  const examples = op.responses[status]?.content?.['application/json']?.examples ?? {};
  return Object.values(examples).map((e) => e.summary);
}

/** The API server's source, where every message it can send is written. */
function serverSource(): string {
  const root = join(import.meta.dirname, '../../services/api/src');
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => readFileSync(join(root, file), 'utf8'))
    .join('\n');
}

/** Reads a Server-Sent Events stream until it has `count` events, as `{type, data}`. */
async function firstEvents(res: Response, count: number): Promise<{ type: string; data: unknown }[]> {
  const events: { type: string; data: unknown }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body!) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const fields = Object.fromEntries(
        buffer
          .slice(0, end)
          .split('\n')
          .filter((line) => !line.startsWith(':'))
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
      );
      buffer = buffer.slice(end + 2);
      if (fields.event) events.push({ type: fields.event, data: JSON.parse(fields.data!) });
      if (events.length === count) return events;
    }
  }
  return events;
}
