import type { ChatqClient, ChatqRequest } from '@chatq/client';
import type { ProviderKind } from '@chatq/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../fakes/anthropic.ts';
import { startFakeOpenAi } from '../fakes/openai.ts';
import type { FakeProvider } from '../fakes/server.ts';
import { startStack, type TestStack } from '../harness/stack.ts';
import { settledChat } from '../harness/chats.ts';

const KEY = 'sk-e2e-0123456789';
/** $3 / $15 per million tokens: the fakes' default 11 in + 3 out cost 33 + 45 microdollars. */
const PRICES = { input_price_per_mtok: 3, output_price_per_mtok: 15 };

let n = 0;
/** A provider of `kind` at the fake's `root`, with one model config on it; returns the config id. */
async function modelOn(
  stack: TestStack,
  kind: ProviderKind,
  fake: FakeProvider,
  root: string,
  extra: Partial<ChatqRequest<'createModelConfig'>['body']> = {},
): Promise<string> {
  const provider = await stack.client.createProvider({
    body: { name: `${kind}-${++n}`, kind, base_url: fake.origin + root, api_key: KEY },
  });
  expect(provider.status).toBe(201);
  const model = await stack.client.createModelConfig({
    body: { provider_id: provider.body.provider.id, model: 'fake-model', ...PRICES, ...extra },
  });
  expect(model.status).toBe(201);
  return model.body.model_config.id;
}

/** Waits until the chat's turn is over and returns the chat and its messages. */
async function settled(client: ChatqClient, chatId: string) {
  const chat = await settledChat(client, chatId);
  const messages = (await client.listMessages({ params: { chat_id: chatId } })).body.data;
  return { chat, messages };
}

describe.each([
  {
    kind: 'openai-compatible' as const,
    start: startFakeOpenAi,
    root: '/compat/v1',
    path: '/compat/v1/chat/completions',
  },
  { kind: 'anthropic' as const, start: startFakeAnthropic, root: '/anthropic/v1', path: '/anthropic/v1/messages' },
])('the worker path through $kind', ({ kind, start, root, path }) => {
  let stack: TestStack;
  let fake: FakeProvider;
  let member: ChatqClient;
  let modelId: string;

  beforeAll(async () => {
    fake = await start();
    stack = await startStack({ env: { WORKER_RETRY_BASE_MS: '20' } });
    member = await stack.memberClient();
    modelId = await modelOn(stack, kind, fake, root);
  });
  afterAll(async () => {
    await stack.close();
    await fake.close();
  });

  const chatWith = async (content: string, model = modelId) => {
    const created = await member.createChat({ body: { content, model_config_id: model } });
    expect(created.status).toBe(201);
    return created.body.chat.id;
  };

  it('turns a sent message into an assistant reply with the provider usage and its cost', async () => {
    const before = fake.received.length;
    fake.script({ reply: ['Bonjour', ', le', ' monde'], usage: { input: 11, output: 3 } });
    const { chat, messages } = await settled(member, await chatWith('Salut'));
    expect(chat.status).toBe('idle');
    expect(messages[1]).toMatchObject({
      role: 'assistant',
      content: 'Bonjour, le monde',
      model_config_id: modelId,
      usage: { input_tokens: 11, output_tokens: 3 },
      cost_micros: 78,
    });
    const got = fake.received.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      path,
      key: KEY,
      model: 'fake-model',
      messages: [{ role: 'user', content: 'Salut' }],
    });
  });

  it('waits out a 429 for its retry-after, then succeeds', async () => {
    const before = fake.received.length;
    fake.script({ status: 429, headers: { 'retry-after': '1' } });
    const { chat, messages } = await settled(member, await chatWith('rate limited?'));
    expect(chat.status).toBe('idle');
    expect(messages[1]!.content).toBe('Hello from the fake');
    const got = fake.received.slice(before);
    expect(got).toHaveLength(2);
    expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(1_000);
  });

  it('retries a 500 twice with backoff, then succeeds', async () => {
    const before = fake.received.length;
    fake.script({ status: 500 }, { status: 500 });
    const { chat, messages } = await settled(member, await chatWith('flaky?'));
    expect(chat.status).toBe('idle');
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(fake.received.length - before).toBe(3);
  });

  it('fails at once on a 401, with a readable last_error', async () => {
    const before = fake.received.length;
    fake.script({ status: 401 });
    const { chat, messages } = await settled(member, await chatWith('wrong key?'));
    expect(chat).toMatchObject({ status: 'error', last_error: 'provider rejected the API key (401)' });
    expect(messages).toHaveLength(1);
    expect(fake.received.length - before).toBe(1);
    expect(JSON.stringify(chat)).not.toContain(KEY);
  });

  it('retries a stream dropped midway and stores only the complete reply', async () => {
    const before = fake.received.length;
    fake.script({ disconnectAfter: ['half a'] }, { reply: ['whole', ' reply'] });
    const { chat, messages } = await settled(member, await chatWith('dropped?'));
    expect(chat.status).toBe('idle');
    expect(messages[1]!.content).toBe('whole reply');
    expect(fake.received.length - before).toBe(2);
  });

  it('sends only the newest history that fits context_limit, and max_output_tokens', async () => {
    // Budget 30 - 10 = 20 estimated tokens: the newest question (6) and the reply before it (9)
    // fit, the 40-character opener (14) does not, and a history must start with a user message.
    const trimmed = await modelOn(stack, kind, fake, root, { context_limit: 30, max_output_tokens: 10 });
    const chatId = await chatWith('x'.repeat(40), trimmed);
    await settled(member, chatId);
    const before = fake.received.length;
    expect((await member.sendMessage({ params: { chat_id: chatId }, body: { content: 'second' } })).status).toBe(201);
    const { messages } = await settled(member, chatId);
    expect(messages).toHaveLength(4);
    const got = fake.received[before]!;
    expect(got.messages).toEqual([{ role: 'user', content: 'second' }]);
    expect(got.body.max_tokens).toBe(10);
  });
});

describe('turn time limits', () => {
  let stack: TestStack;
  let fake: FakeProvider;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    stack = await startStack({
      env: { WORKER_RETRY_BASE_MS: '20', PROVIDER_TIMEOUT_MS: '1000', TURN_DEADLINE_MS: '2500' },
    });
  });
  afterAll(async () => {
    await stack.close();
    await fake.close();
  });

  it('cuts each call off at PROVIDER_TIMEOUT_MS and fails the turn at TURN_DEADLINE_MS', async () => {
    fake.script({ hang: true }, { hang: true }, { hang: true }, { hang: true }, { hang: true });
    const modelId = await modelOn(stack, 'openai-compatible', fake, '/v1');
    const member = await stack.memberClient();
    const created = await member.createChat({ body: { content: 'anyone there?', model_config_id: modelId } });
    const { chat } = await settled(member, created.body.chat.id);
    expect(chat).toMatchObject({ status: 'error', last_error: 'turn deadline exceeded' });
    // More than one call: each was cut off by the per-call timeout and retried until the deadline.
    expect(fake.received.length).toBeGreaterThanOrEqual(2);
  });
});
