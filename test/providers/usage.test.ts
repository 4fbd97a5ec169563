import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../harness/http.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

interface Reply {
  usage: { input_tokens: number; output_tokens: number };
  cost_micros: number | null;
}

describe('usage', () => {
  let stack: TestStack;
  let alice: ApiClient;
  let bob: ApiClient;
  let aliceId: string;
  let priced: string;
  let unpriced: string;

  /** Sends in a new or existing chat and returns the reply once it is stored. */
  async function ask(client: ApiClient, content: string, model: string, chatId?: string) {
    const res = chatId
      ? await client.post(`/api/v1/chats/${chatId}/messages`, { content, model_config_id: model })
      : await client.post('/api/v1/chats', { content, model_config_id: model });
    expect(res.status).toBe(201);
    const id: string = chatId ?? res.body.chat.id;
    const reply = await eventually(async () => {
      const messages = (await client.get(`/api/v1/chats/${id}/messages`)).body.data;
      const last = messages.at(-1);
      return last.role === 'assistant' ? (last as Reply) : undefined;
    });
    return { chatId: id, reply };
  }

  const sum = (replies: Reply[]) => ({
    replies: replies.length,
    input_tokens: replies.reduce((s, r) => s + r.usage.input_tokens, 0),
    output_tokens: replies.reduce((s, r) => s + r.usage.output_tokens, 0),
  });

  beforeAll(async () => {
    stack = await startStack();
    alice = await stack.member('alice');
    bob = await stack.member('bob');
    aliceId = (await alice.get('/api/v1/users/me')).body.user.id;
    const mock = (await stack.admin.get('/api/v1/providers')).body.data.find(
      (p: { kind: string }) => p.kind === 'mock',
    );
    const create = (body: object) =>
      stack.admin.post('/api/v1/model-configs', { provider_id: mock.id, ...body }).then((r) => r.body.model_config.id);
    priced = await create({ model: 'mock-priced', input_price_per_mtok: 2_000, output_price_per_mtok: 10_000 });
    unpriced = await create({ model: 'mock-unpriced' });
  });
  afterAll(() => stack.close());

  it('sums a chat for its owner, pricing each reply as it was stored', async () => {
    const first = await ask(alice, 'How long is a piece of string?', priced);
    const second = await ask(alice, 'And twice that?', priced, first.chatId);
    expect(first.reply.cost_micros).toBeGreaterThan(0);
    const res = await alice.get(`/api/v1/chats/${first.chatId}/usage`);
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
    const res = await bob.get(`/api/v1/chats/${chatId}/usage`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: 'Chat not found.' });
  });

  it('keeps unpriced apart from free: null cost when no reply had a price', async () => {
    const { chatId, reply } = await ask(bob, 'free?', unpriced);
    expect(reply.cost_micros).toBeNull();
    const res = await bob.get(`/api/v1/chats/${chatId}/usage`);
    expect(res.body.usage).toMatchObject({ replies: 1, cost_micros: null, unpriced_replies: 1 });
  });

  it('counts replies an edit has since removed: their tokens were spent', async () => {
    const { chatId, reply } = await ask(alice, 'draft question', priced);
    const userMessage = (await alice.get(`/api/v1/chats/${chatId}/messages`)).body.data[0];
    const edited = await alice.patch(`/api/v1/chats/${chatId}/messages/${userMessage.id}`, {
      content: 'final question',
    });
    expect(edited.status).toBe(200);
    const after = await eventually(async () => {
      const messages = (await alice.get(`/api/v1/chats/${chatId}/messages`)).body.data;
      return messages.length === 2 && messages[1].role === 'assistant' ? (messages[1] as Reply) : undefined;
    });
    const res = await alice.get(`/api/v1/chats/${chatId}/usage`);
    expect(res.body.usage).toMatchObject({
      ...sum([reply, after]),
      cost_micros: reply.cost_micros! + after.cost_micros!,
    });
  });

  it("sums the caller's replies across chats within [from, to)", async () => {
    const mine = await alice.get('/api/v1/users/me/usage');
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ user_id: aliceId, from: null, to: null });
    expect(mine.body.usage.replies).toBe(5);
    expect(mine.body.usage.unpriced_replies).toBe(0);

    const past = await alice.get('/api/v1/users/me/usage?to=2020-01-01T00:00:00Z');
    expect(past.body.usage).toMatchObject({ replies: 0, input_tokens: 0, cost_micros: 0 });
    const since = await alice.get(
      `/api/v1/users/me/usage?from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`,
    );
    expect(since.body.usage).toEqual(mine.body.usage);
  });

  it('refuses a range that ends before it starts', async () => {
    const res = await alice.get('/api/v1/users/me/usage?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(res.status).toBe(400);
    expect(res.body.validations).toEqual([{ field: 'querystring.from', detail: 'must be before to' }]);
  });

  it("lets admins read any user's usage, and members only their own", async () => {
    const asAdmin = await stack.admin.get(`/api/v1/users/${aliceId}/usage`);
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.usage).toEqual((await alice.get('/api/v1/users/me/usage')).body.usage);
    expect((await alice.get(`/api/v1/users/${aliceId}/usage`)).status).toBe(200);
    expect((await bob.get(`/api/v1/users/${aliceId}/usage`)).status).toBe(403);
    const missing = await stack.admin.get('/api/v1/users/00000000-0000-7000-8000-000000000000/usage');
    expect(missing.status).toBe(404);
  });
});
