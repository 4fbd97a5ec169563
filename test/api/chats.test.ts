import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../harness/http.ts';
import { createMockModel } from '../harness/models.ts';
import { startStack, type TestStack } from '../harness/stack.ts';

// No worker here: turns stay queued, so these tests see the API's own transactions.
let stack: TestStack;
let alice: ApiClient;
let bob: ApiClient;
let modelA: string;
let modelB: string;
let disabled: string;

beforeAll(async () => {
  stack = await startStack({ worker: false });
  alice = await stack.member('alice');
  bob = await stack.member('bob');
  modelA = await createMockModel(stack.client, 'model-a');
  modelB = await createMockModel(stack.client, 'model-b');
  disabled = await createMockModel(stack.client, 'model-off', { enabled: false });
});
afterAll(() => stack.close());

async function chatWithHistory(client: ApiClient, model: string) {
  const created = await client.post('/api/v1/chats', { content: 'first', model_config_id: model });
  expect(created.status).toBe(201);
  const chatId: string = created.body.chat.id;
  // Simulate a finished turn so the chat accepts another send.
  await stack.sql`
    with t as (update turns set status = 'completed', finished_at = now() where chat_id = ${chatId} returning chat_id)
    insert into messages (chat_id, role, content, model_config_id) select chat_id, 'assistant', 'reply one', ${model} from t`;
  await stack.sql`update chats set status = 'idle' where id = ${chatId}`;
  return { chatId, firstMessageId: created.body.message.id as string };
}

const snapshot = (chatId: string) =>
  stack.sql`
    select (select to_jsonb(c) from chats c where c.id = ${chatId}) as chat,
           (select jsonb_agg(to_jsonb(m) order by m.seq) from messages m where m.chat_id = ${chatId}) as messages,
           (select jsonb_agg(to_jsonb(t) order by t.created_at) from turns t where t.chat_id = ${chatId}) as turns`;

describe('creating chats', () => {
  it('uses the default model when none is given, and titles the chat from its first message', async () => {
    const res = await alice.post('/api/v1/chats', { content: 'How do queues work?\nSecond line' });
    expect(res.status).toBe(201);
    const [seeded] = await stack.sql`select id from model_configs where is_default`;
    expect(res.body.chat).toMatchObject({
      title: 'How do queues work?',
      status: 'pending',
      last_model_config_id: seeded!.id,
    });
    expect(res.body.message).toMatchObject({
      role: 'user',
      content: 'How do queues work?\nSecond line',
      model_config_id: seeded!.id,
    });
    expect(res.body.turn).toMatchObject({ status: 'queued', generation: 1, model_config_id: seeded!.id });
  });

  it('creates an empty chat without a turn', async () => {
    const res = await alice.post('/api/v1/chats', { title: 'Empty', model_config_id: modelA });
    expect(res.status).toBe(201);
    expect(res.body.chat).toMatchObject({ title: 'Empty', status: 'idle', last_model_config_id: modelA });
    expect(res.body.message).toBeUndefined();
    const [turns] = await stack.sql`select count(*)::int as n from turns where chat_id = ${res.body.chat.id}`;
    expect(turns!.n).toBe(0);
  });

  it('refuses an unknown or disabled model with 400 and creates nothing', async () => {
    const [before] = await stack.sql`select count(*)::int as n from chats`;
    for (const model_config_id of [randomUUID(), disabled]) {
      const res = await alice.post('/api/v1/chats', { content: 'hi', model_config_id });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: 'Invalid model config ID.' });
    }
    const [after] = await stack.sql`select count(*)::int as n from chats`;
    expect(after!.n).toBe(before!.n);
  });

  it('rejects bad bodies with validations', async () => {
    const res = await alice.post('/api/v1/chats', { content: '   ', model_config_id: 'not-a-uuid' });
    expect(res.status).toBe(400);
    expect(res.body.validations.map((v: { field: string }) => v.field).sort()).toEqual([
      'body.content',
      'body.model_config_id',
    ]);
  });
});

describe('listing and reading', () => {
  it('lists a user’s chats newest first with a cursor', async () => {
    const carol = await stack.member('carol');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await carol.post('/api/v1/chats', { title: `c${i}` })).body.chat.id);
    const page1 = await carol.get('/api/v1/chats?limit=2');
    expect(page1.body.data.map((c: { id: string }) => c.id)).toEqual([ids[4], ids[3]]);
    const page2 = await carol.get(`/api/v1/chats?limit=2&after=${page1.body.next_cursor}`);
    expect(page2.body.data.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
    const page3 = await carol.get(`/api/v1/chats?limit=2&after=${page2.body.next_cursor}`);
    expect(page3.body.data.map((c: { id: string }) => c.id)).toEqual([ids[0]]);
    expect(page3.body.next_cursor).toBeNull();
    expect((await carol.get('/api/v1/chats?after=garbage')).status).toBe(400);
  });

  it('hides another user’s chat behind 404 on every route', async () => {
    const { chatId, firstMessageId } = await chatWithHistory(alice, modelA);
    const [turn] = await stack.sql`select id from turns where chat_id = ${chatId}`;
    const attempts = [
      await bob.get(`/api/v1/chats/${chatId}`),
      await bob.get(`/api/v1/chats/${chatId}/messages`),
      await bob.post(`/api/v1/chats/${chatId}/messages`, { content: 'hijack' }),
      await bob.patch(`/api/v1/chats/${chatId}/messages/${firstMessageId}`, { content: 'hijack' }),
      await bob.get(`/api/v1/chats/${chatId}/turns/${turn!.id}`),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(404);
    }
    expect(attempts[3]!.body).toEqual({ message: 'Chat not found.' });
    const messages = await alice.get(`/api/v1/chats/${chatId}/messages`);
    expect(messages.body.data.map((m: { content: string }) => m.content)).toEqual(['first', 'reply one']);
  });

  it('reads a turn', async () => {
    const created = await alice.post('/api/v1/chats', { content: 'turn me', model_config_id: modelA });
    const res = await alice.get(`/api/v1/chats/${created.body.chat.id}/turns/${created.body.turn.id}`);
    expect(res.status).toBe(200);
    expect(res.body.turn).toEqual(created.body.turn);
  });
});

describe('sending', () => {
  it('queues a send while a turn is queued, by default', async () => {
    const created = await alice.post('/api/v1/chats', { content: 'one', model_config_id: modelA });
    const res = await alice.post(`/api/v1/chats/${created.body.chat.id}/messages`, { content: 'two' });
    expect(res.status).toBe(202);
    expect(res.body.queued_message).toMatchObject({ content: 'two' });
    const messages = await alice.get(`/api/v1/chats/${created.body.chat.id}/messages`);
    expect(messages.body.data.map((m: { content: string }) => m.content)).toEqual(['one']);
    expect(messages.body.queued.map((m: { content: string }) => m.content)).toEqual(['two']);
  });

  it('uses the chat’s model by default and moves the chat to an override', async () => {
    const { chatId } = await chatWithHistory(alice, modelA);
    const sent = await alice.post(`/api/v1/chats/${chatId}/messages`, { content: 'switch', model_config_id: modelB });
    expect(sent.status).toBe(201);
    expect(sent.body.message.model_config_id).toBe(modelB);
    expect(sent.body.turn).toMatchObject({ status: 'queued', generation: 2, model_config_id: modelB });
    expect((await alice.get(`/api/v1/chats/${chatId}`)).body.chat).toMatchObject({
      last_model_config_id: modelB,
      status: 'pending',
    });
  });

  it('refuses an invalid model with 400 and changes nothing', async () => {
    const { chatId } = await chatWithHistory(alice, modelA);
    const [before] = await snapshot(chatId);
    const res = await alice.post(`/api/v1/chats/${chatId}/messages`, { content: 'x', model_config_id: disabled });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: 'Invalid model config ID.' });
    const [after] = await snapshot(chatId);
    expect(after).toEqual(before);
  });
});

describe('editing', () => {
  it('edit with a different model replaces the message, drops later ones and moves the chat', async () => {
    const { chatId, firstMessageId } = await chatWithHistory(alice, modelA);
    const res = await alice.patch(`/api/v1/chats/${chatId}/messages/${firstMessageId}`, {
      content: 'first, edited',
      model_config_id: modelB,
    });
    expect(res.status).toBe(200);
    expect(res.body.message).toMatchObject({ role: 'user', content: 'first, edited', model_config_id: modelB });
    expect(res.body.message.id).not.toBe(firstMessageId);
    expect(res.body.turn).toMatchObject({ status: 'queued', model_config_id: modelB, generation: 2 });
    const chat = await alice.get(`/api/v1/chats/${chatId}`);
    expect(chat.body.chat.last_model_config_id).toBe(modelB);
    const messages = await alice.get(`/api/v1/chats/${chatId}/messages`);
    expect(messages.body.data.map((m: { content: string }) => m.content)).toEqual(['first, edited']);
  });

  it('edit without a model keeps the edited message’s own model even after the chat moved on', async () => {
    const { chatId, firstMessageId } = await chatWithHistory(alice, modelA);
    await alice.post(`/api/v1/chats/${chatId}/messages`, { content: 'now on B', model_config_id: modelB });
    expect((await alice.get(`/api/v1/chats/${chatId}`)).body.chat.last_model_config_id).toBe(modelB);

    const res = await alice.patch(`/api/v1/chats/${chatId}/messages/${firstMessageId}`, {
      content: 'back to the start',
    });
    expect(res.status).toBe(200);
    expect(res.body.message.model_config_id).toBe(modelA);
    expect(res.body.turn.model_config_id).toBe(modelA);
    expect((await alice.get(`/api/v1/chats/${chatId}`)).body.chat.last_model_config_id).toBe(modelA);
  });

  it('edit with unknown or disabled model rolls back and answers 400', async () => {
    const { chatId, firstMessageId } = await chatWithHistory(alice, modelA);
    const [before] = await snapshot(chatId);
    for (const model_config_id of [randomUUID(), disabled]) {
      const res = await alice.patch(`/api/v1/chats/${chatId}/messages/${firstMessageId}`, {
        content: 'nope',
        model_config_id,
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: 'Invalid model config ID.' });
    }
    const [after] = await snapshot(chatId);
    expect(after).toEqual(before);
    const messages = await alice.get(`/api/v1/chats/${chatId}/messages`);
    expect(messages.body.data.map((m: { id: string }) => m.id)[0]).toBe(firstMessageId);
  });

  it('edit of a missing message is 404, of an assistant message 400', async () => {
    const { chatId } = await chatWithHistory(alice, modelA);
    const missing = await alice.patch(`/api/v1/chats/${chatId}/messages/${randomUUID()}`, { content: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: 'Chat message not found.' });
    const [assistant] = await stack.sql`select id from messages where chat_id = ${chatId} and role = 'assistant'`;
    const wrong = await alice.patch(`/api/v1/chats/${chatId}/messages/${assistant!.id}`, { content: 'x' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({ message: 'Only user messages can be edited.' });
  });

  it('edit with a bad body is 400 with validations and changes nothing', async () => {
    const { chatId, firstMessageId } = await chatWithHistory(alice, modelA);
    const [before] = await snapshot(chatId);
    const res = await alice.patch(`/api/v1/chats/${chatId}/messages/${firstMessageId}`, { content: 42 });
    expect(res.status).toBe(400);
    expect(res.body.validations[0].field).toBe('body.content');
    const badId = await alice.patch(`/api/v1/chats/${chatId}/messages/not-a-uuid`, { content: 'x' });
    expect(badId.status).toBe(400);
    expect(badId.body.validations[0].field).toBe('params.message_id');
    const [after] = await snapshot(chatId);
    expect(after).toEqual(before);
  });

  it('an edit supersedes the queued turn', async () => {
    const created = await alice.post('/api/v1/chats', { content: 'original', model_config_id: modelA });
    const edited = await alice.patch(`/api/v1/chats/${created.body.chat.id}/messages/${created.body.message.id}`, {
      content: 'replacement',
    });
    expect(edited.status).toBe(200);
    const old = await alice.get(`/api/v1/chats/${created.body.chat.id}/turns/${created.body.turn.id}`);
    expect(old.body.turn.status).toBe('superseded');
    expect(old.body.turn.finished_at).toBeDefined();
  });

  it('concurrent edits of one message: exactly one succeeds, the others get 404 or 409', async () => {
    const { chatId, firstMessageId } = await chatWithHistory(alice, modelA);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        alice.patch(`/api/v1/chats/${chatId}/messages/${firstMessageId}`, { content: `edit ${i}` }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.every((s) => s === 200 || s === 404 || s === 409)).toBe(true);
    const messages = await alice.get(`/api/v1/chats/${chatId}/messages`);
    expect(messages.body.data).toHaveLength(1);
    const [live] =
      await stack.sql`select count(*)::int as n from turns where chat_id = ${chatId} and status = 'queued'`;
    expect(live!.n).toBe(1);
  });
});
