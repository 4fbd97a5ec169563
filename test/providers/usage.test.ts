import type { ChatqClient } from '@chatq/client';
import type { Message } from '@chatq/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal } from '../harness/refusal.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

type Reply = Message;

describe('usage', () => {
  let stack: TestStack;
  let alice: ChatqClient;
  let bob: ChatqClient;
  let aliceId: string;
  let priced: string;
  let unpriced: string;

  const messagesOf = async (client: ChatqClient, chatId: string) =>
    (await client.listMessages({ params: { chat_id: chatId } })).body.data;

  /** Sends in a new or existing chat and returns the reply once it is stored. */
  async function ask(client: ChatqClient, content: string, model: string, chatId?: string) {
    const body = { content, model_config_id: model };
    const res = chatId
      ? await client.sendMessage({ params: { chat_id: chatId }, body })
      : await client.createChat({ body });
    expect(res.status).toBe(201);
    const id = chatId ?? (res.body as { chat: { id: string } }).chat.id;
    const reply = await eventually(async () => {
      const last = (await messagesOf(client, id)).at(-1)!;
      return last.role === 'assistant' ? last : undefined;
    });
    return { chatId: id, reply };
  }

  const sum = (replies: Reply[]) => ({
    replies: replies.length,
    input_tokens: replies.reduce((s, r) => s + r.usage!.input_tokens, 0),
    output_tokens: replies.reduce((s, r) => s + r.usage!.output_tokens, 0),
  });

  beforeAll(async () => {
    stack = await startStack();
    alice = await stack.memberClient('alice');
    bob = await stack.memberClient('bob');
    aliceId = (await alice.getMe()).body.user.id;
    const mock = (await stack.client.listProviders()).body.data.find((p) => p.kind === 'mock')!;
    const create = async (body: { model: string; input_price_per_mtok?: number; output_price_per_mtok?: number }) =>
      (await stack.client.createModelConfig({ body: { provider_id: mock.id, ...body } })).body.model_config.id;
    priced = await create({ model: 'mock-priced', input_price_per_mtok: 2_000, output_price_per_mtok: 10_000 });
    unpriced = await create({ model: 'mock-unpriced' });
  });
  afterAll(() => stack.close());

  it('sums a chat for its owner, pricing each reply as it was stored', async () => {
    const first = await ask(alice, 'How long is a piece of string?', priced);
    const second = await ask(alice, 'And twice that?', priced, first.chatId);
    expect(first.reply.cost_micros).toBeGreaterThan(0);
    const res = await alice.getChatUsage({ params: { chat_id: first.chatId } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      chat_id: first.chatId,
      usage: {
        ...sum([first.reply, second.reply]),
        reasoning_tokens: 0,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_micros: first.reply.cost_micros! + second.reply.cost_micros!,
        unpriced_replies: 0,
      },
    });
  });

  it("hides another user's chat as not found", async () => {
    const { chatId } = await ask(alice, 'private', priced);
    const err = await refusal(bob.getChatUsage({ params: { chat_id: chatId } }));
    expect(err.status).toBe(404);
    expect(err.body).toEqual({ message: 'Chat not found.' });
  });

  it('keeps unpriced apart from free: null cost when no reply had a price', async () => {
    const { chatId, reply } = await ask(bob, 'free?', unpriced);
    expect(reply.cost_micros).toBeNull();
    const res = await bob.getChatUsage({ params: { chat_id: chatId } });
    expect(res.body.usage).toMatchObject({ replies: 1, cost_micros: null, unpriced_replies: 1 });
  });

  it('counts replies an edit has since removed: their tokens were spent', async () => {
    const { chatId, reply } = await ask(alice, 'draft question', priced);
    const userMessage = (await messagesOf(alice, chatId))[0]!;
    const edited = await alice.editMessage({
      params: { chat_id: chatId, message_id: userMessage.id },
      body: { content: 'final question' },
    });
    expect(edited.status).toBe(200);
    const after = await eventually(async () => {
      const messages = await messagesOf(alice, chatId);
      return messages.length === 2 && messages[1]!.role === 'assistant' ? messages[1] : undefined;
    });
    const res = await alice.getChatUsage({ params: { chat_id: chatId } });
    expect(res.body.usage).toMatchObject({
      ...sum([reply, after]),
      cost_micros: reply.cost_micros! + after.cost_micros!,
    });
  });

  it("sums the caller's replies across chats within [from, to)", async () => {
    const mine = await alice.getMyUsage();
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ user_id: aliceId, from: null, to: null });
    expect(mine.body.usage.replies).toBe(5);
    expect(mine.body.usage.unpriced_replies).toBe(0);

    const past = await alice.getMyUsage({ query: { to: '2020-01-01T00:00:00Z' } });
    expect(past.body.usage).toMatchObject({ replies: 0, input_tokens: 0, cost_micros: 0 });
    const since = await alice.getMyUsage({ query: { from: new Date(Date.now() - 3_600_000).toISOString() } });
    expect(since.body.usage).toEqual(mine.body.usage);
  });

  it('refuses a range that ends before it starts', async () => {
    const err = await refusal(
      alice.getMyUsage({ query: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } }),
    );
    expect(err.status).toBe(400);
    expect(err.body.validations).toEqual([{ field: 'querystring.from', detail: 'must be before to' }]);
  });

  it("lets admins read any user's usage, and members only their own", async () => {
    const params = { id: aliceId };
    const asAdmin = await stack.client.getUserUsage({ params });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.usage).toEqual((await alice.getMyUsage()).body.usage);
    expect((await alice.getUserUsage({ params })).status).toBe(200);
    expect((await refusal(bob.getUserUsage({ params }))).status).toBe(403);
    const missing = await refusal(
      stack.client.getUserUsage({ params: { id: '00000000-0000-7000-8000-000000000000' } }),
    );
    expect(missing.status).toBe(404);
  });
});
