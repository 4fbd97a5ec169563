import type { ChatqClient } from '@chatq/client';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeWebhook, startFakeWebhook } from '../fakes/webhook.ts';
import { startChat, turnReaches } from '../harness/chats.ts';
import { createMockModel } from '../harness/models.ts';
import { SseClient } from '../harness/sse.ts';
import { ADMIN_TOKEN, eventually, startStack, type TestStack } from '../harness/stack.ts';

const SECRET = 'whsec_test_0123456789abcdef';
const WEATHER = { name: 'get_weather', input: { city: 'Lisbon' } };

let stack: TestStack;
let client: ChatqClient;
let hook: FakeWebhook;
let models = 0;

beforeAll(async () => {
  hook = await startFakeWebhook();
  stack = await startStack();
  client = stack.client;
});
afterAll(async () => {
  await stack.close();
  await hook.close();
});
beforeEach(() => {
  hook.received.length = 0;
  hook.answer(() => ({ json: { temperature_c: 24 } }));
});

/** A webhook tool at the fake (its own name each time) and a mock model that calls it once. */
async function weatherSetup(tool: { timeout_ms?: number } = {}, model: { max_steps?: number } = {}) {
  const name = `get_weather_${++models}`;
  const created = await client.createTool({
    body: {
      name,
      description: 'The current weather in a city.',
      input_schema: { type: 'object', properties: { city: { type: 'string' } } },
      kind: 'webhook',
      url: hook.url,
      signing_secret: SECRET,
      ...tool,
    },
  });
  const modelId = await createMockModel(client, `tool-model-${models}`, {
    options: { tool_calls: [{ ...WEATHER, name }] },
    ...model,
  });
  return { name, toolId: created.body.tool.id, modelId };
}

async function chatWithTool(toolId: string, modelId: string, content = 'weather in Lisbon?') {
  const { body } = await client.createChat({ body: { content, model_config_id: modelId, tool_ids: [toolId] } });
  return { chatId: body.chat.id, turnId: body.turn!.id, messageId: body.message!.id };
}

const messagesOf = async (chatId: string) =>
  (await client.listMessages({ params: { chat_id: chatId }, query: {} })).body.data;

describe('a turn whose model calls a webhook tool', () => {
  it('stores the call, posts it signed with Idempotency-Key, and answers with its result in a second step', async () => {
    const { name, toolId, modelId } = await weatherSetup();
    const { chatId, turnId } = await chatWithTool(toolId, modelId);
    const events = await SseClient.open(`${stack.baseUrl}/api/v1/chats/${chatId}/events?after=0`, ADMIN_TOKEN);

    const turn = await turnReaches(client, chatId, turnId, ['completed', 'failed']);
    expect(turn).toMatchObject({ status: 'completed', steps: 2, finish_reason: 'stop' });

    const [user, call, result, reply] = await messagesOf(chatId);
    const toolCallId = call!.parts![0]!.type === 'tool_call' ? call!.parts![0]!.tool_call_id : '';
    expect(user!.role).toBe('user');
    expect(call).toMatchObject({
      role: 'assistant',
      content: '',
      parts: [{ type: 'tool_call', tool_call_id: toolCallId, name, input: WEATHER.input }],
    });
    expect(result).toMatchObject({
      role: 'tool',
      parts: [{ type: 'tool_result', tool_call_id: toolCallId, name, output: { temperature_c: 24 }, is_error: false }],
    });
    expect(reply!.role).toBe('assistant');
    expect(reply!.content).toContain(`${name} returned {"temperature_c":24}`);
    // Each step carries its own usage; the turn's is their sum (the usage report adds them).
    expect(call!.usage!.output_tokens).toBeGreaterThan(0);
    expect(reply!.usage!.output_tokens).toBeGreaterThan(0);

    expect(hook.received).toHaveLength(1);
    const [req] = hook.received;
    expect(req!.body).toEqual({
      tool_call_id: toolCallId,
      name,
      input: WEATHER.input,
      chat_id: chatId,
      turn_id: turnId,
    });
    expect(req!.headers['idempotency-key']).toBe(toolCallId);
    const signature = String(req!.headers['x-chatq-signature']);
    const t = /^t=(\d+),v1=[0-9a-f]{64}$/.exec(signature)?.[1];
    expect(t).toBeDefined();
    const mac = createHmac('sha256', SECRET).update(`${t}.${req!.raw}`).digest('hex');
    expect(signature).toBe(`t=${t},v1=${mac}`);
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);

    await events.until((e) => e.some((x) => x.event === 'turn.status' && x.data.status === 'completed'), 'the end');
    const toolEvents = events.events.filter((e) => e.event.startsWith('tool.'));
    expect(toolEvents.map((e) => [e.event, e.data.tool_call_id, e.data.name])).toEqual([
      ['tool.call', toolCallId, name],
      ['tool.result', toolCallId, name],
    ]);
    expect(toolEvents[1]!.data).toMatchObject({ input: WEATHER.input, output: { temperature_c: 24 }, is_error: false });
    events.close();
  });

  it('retries a 5xx three times with the same Idempotency-Key, then hands the model an error result', async () => {
    hook.answer(() => ({ status: 503, text: 'down for maintenance' }));
    const { toolId, modelId } = await weatherSetup();
    const { chatId, turnId } = await chatWithTool(toolId, modelId);
    expect(await turnReaches(client, chatId, turnId, ['completed', 'failed'])).toMatchObject({ status: 'completed' });

    expect(hook.received).toHaveLength(4);
    expect(new Set(hook.received.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    const result = (await messagesOf(chatId))[2]!;
    expect(result.parts![0]).toMatchObject({ type: 'tool_result', is_error: true });
    expect(JSON.stringify(result.parts![0])).toContain('HTTP 503');
  });

  it('hands a 4xx to the model as an error result at once', async () => {
    hook.answer(() => ({ status: 422, json: { error: 'unknown city' } }));
    const { toolId, modelId } = await weatherSetup();
    const { chatId, turnId } = await chatWithTool(toolId, modelId);
    await turnReaches(client, chatId, turnId, ['completed', 'failed']);

    expect(hook.received).toHaveLength(1);
    const part = (await messagesOf(chatId))[2]!.parts![0]!;
    expect(part).toMatchObject({ type: 'tool_result', is_error: true });
    expect(part.type === 'tool_result' && part.output).toBe('webhook answered HTTP 422: {"error":"unknown city"}');
  });

  it('retries a webhook that does not answer within its timeout, then gives up with an error result', async () => {
    hook.answer(() => ({ hang: true }));
    const { toolId, modelId } = await weatherSetup({ timeout_ms: 200 });
    const { chatId, turnId } = await chatWithTool(toolId, modelId);
    await turnReaches(client, chatId, turnId, ['completed', 'failed']);

    expect(hook.received).toHaveLength(4);
    const part = (await messagesOf(chatId))[2]!.parts![0]!;
    expect(part.type === 'tool_result' && part.output).toMatch(/did not answer within 200 ms; gave up after 4 tries/);
  });

  it('hands the model an error result for an answer over 64 KiB', async () => {
    hook.answer(() => ({ json: { blob: 'x'.repeat(70_000) } }));
    const { toolId, modelId } = await weatherSetup();
    const { chatId, turnId } = await chatWithTool(toolId, modelId);
    await turnReaches(client, chatId, turnId, ['completed', 'failed']);
    const part = (await messagesOf(chatId))[2]!.parts![0]!;
    expect(part).toMatchObject({ is_error: true, output: 'webhook answered more than 65536 bytes; dropped' });
  });

  it('stops at max_steps: the last step calls tools that never run', async () => {
    const { name, toolId, modelId } = await weatherSetup({}, { max_steps: 1 });
    const { chatId, turnId } = await chatWithTool(toolId, modelId);
    const turn = await turnReaches(client, chatId, turnId, ['completed', 'failed']);
    expect(turn).toMatchObject({ status: 'completed', steps: 1, finish_reason: 'max_steps' });
    expect(hook.received).toHaveLength(0);
    const messages = await messagesOf(chatId);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(messages[1]!.parts).toEqual([expect.objectContaining({ type: 'tool_call', name })]);

    // The next turn's model never sees a call without an answer.
    const next = await client.sendMessage({ params: { chat_id: chatId }, body: { content: 'and now?' } });
    if (!('turn' in next.body)) throw new Error('the chat was idle: the message starts a turn');
    expect(await turnReaches(client, chatId, next.body.turn.id, ['completed', 'failed'])).toMatchObject({
      status: 'completed',
    });
  });

  it('aborts a slow webhook call when the message is edited, and the superseded turn takes no further step', async () => {
    hook.answer((_req, index) => (index === 0 ? { hang: true } : { json: { temperature_c: 19 } }));
    const { toolId, modelId } = await weatherSetup();
    const { chatId, turnId, messageId } = await chatWithTool(toolId, modelId);
    const first = await eventually(async () => hook.received[0], { what: 'the webhook call to start' });

    const editedAt = Date.now();
    const edited = await client.editMessage({
      params: { chat_id: chatId, message_id: messageId },
      body: { content: 'weather in Porto?' },
    });
    const abortedAt = await eventually(async () => first.abortedAt, { what: 'the webhook call to be aborted' });
    expect(abortedAt - editedAt).toBeLessThan(1_000);

    const next = await turnReaches(client, chatId, edited.body.turn!.id, ['completed', 'failed']);
    expect(next.status).toBe('completed');
    expect((await client.getTurn({ params: { chat_id: chatId, turn_id: turnId } })).body.turn).toMatchObject({
      status: 'superseded',
      steps: 1,
    });
    const [old] = await stack.sql`
      select count(*) filter (where role = 'tool')::int as results, count(*)::int as all
      from messages where turn_id = ${turnId}`;
    expect(old).toEqual({ results: 0, all: 1 });
    expect(hook.received.filter((r) => r.body.turn_id === turnId)).toHaveLength(1);
  });

  it('aborts a slow webhook call when the chat is interrupted, and the cancelled turn takes no further step', async () => {
    hook.answer((_req, index) => (index === 0 ? { hang: true } : { json: { temperature_c: 19 } }));
    const { toolId, modelId } = await weatherSetup();
    const { chatId, turnId } = await chatWithTool(toolId, modelId);
    const first = await eventually(async () => hook.received[0], { what: 'the webhook call to start' });

    const interruptedAt = Date.now();
    const interrupted = await client.interruptChat({ params: { chat_id: chatId } });
    expect(interrupted.body.chat.status).toBe('idle');
    const abortedAt = await eventually(async () => first.abortedAt, { what: 'the webhook call to be aborted' });
    expect(abortedAt - interruptedAt).toBeLessThan(1_000);

    expect((await client.getTurn({ params: { chat_id: chatId, turn_id: turnId } })).body.turn).toMatchObject({
      status: 'cancelled',
      steps: 1,
    });
    const [stored] = await stack.sql`
      select count(*) filter (where role = 'tool')::int as results from messages where turn_id = ${turnId}`;
    expect(stored).toEqual({ results: 0 });
    expect(hook.received.filter((r) => r.body.turn_id === turnId)).toHaveLength(1);
  });

  it('sends the system prompts: the mock quotes their first 40 characters', async () => {
    const modelId = await createMockModel(client, `prompted-${++models}`, {
      system_prompt: 'You answer like a weather report, always.',
    });
    const { chat, turn } = await startChat(client, 'hello', modelId);
    await turnReaches(client, chat.id, turn.id, ['completed']);
    const reply = (await messagesOf(chat.id))[1]!;
    expect(reply.content).toContain('System: "You answer like a weather report, always"');
  });
});
