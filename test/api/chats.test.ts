import { randomUUID } from 'node:crypto';
import type { ChatqClient } from '@chatq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../harness/http.ts';
import { createMockModel } from '../harness/models.ts';
import { outcome, refusal } from '../harness/refusal.ts';
import { startStack, type TestStack } from '../harness/stack.ts';

// No worker here: turns stay queued, so these tests see the API's own transactions.
let stack: TestStack;
let alice: ChatqClient;
let bob: ChatqClient;
let modelA: string;
let modelB: string;
let disabled: string;

beforeAll(async () => {
  stack = await startStack({ worker: false });
  alice = await stack.memberClient('alice');
  bob = await stack.memberClient('bob');
  modelA = await createMockModel(stack.client, 'model-a');
  modelB = await createMockModel(stack.client, 'model-b');
  disabled = await createMockModel(stack.client, 'model-off', { enabled: false });
});
afterAll(() => stack.close());

async function chatWithHistory(client: ChatqClient, model: string) {
  const created = await client.createChat({ body: { content: 'first', model_config_id: model } });
  expect(created.status).toBe(201);
  const chatId = created.body.chat.id;
  // Simulate a finished turn so the chat accepts another send.
  await stack.sql`
    with t as (update turns set status = 'completed', finished_at = now() where chat_id = ${chatId} returning chat_id)
    insert into messages (chat_id, role, content, model_config_id) select chat_id, 'assistant', 'reply one', ${model} from t`;
  await stack.sql`update chats set status = 'idle' where id = ${chatId}`;
  return { chatId, firstMessageId: created.body.message!.id };
}

const snapshot = (chatId: string) =>
  stack.sql`
    select (select to_jsonb(c) from chats c where c.id = ${chatId}) as chat,
           (select jsonb_agg(to_jsonb(m) order by m.seq) from messages m where m.chat_id = ${chatId}) as messages,
           (select jsonb_agg(to_jsonb(t) order by t.created_at) from turns t where t.chat_id = ${chatId}) as turns`;

const contents = async (chatId: string) =>
  (await alice.listMessages({ params: { chat_id: chatId } })).body.data.map((m) => m.content);

describe('creating chats', () => {
  it('uses the default model when none is given, and titles the chat from its first message', async () => {
    const res = await alice.createChat({ body: { content: 'How do queues work?\nSecond line' } });
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
    const res = await alice.createChat({ body: { title: 'Empty', model_config_id: modelA } });
    expect(res.status).toBe(201);
    expect(res.body.chat).toMatchObject({ title: 'Empty', status: 'idle', last_model_config_id: modelA });
    expect(res.body.message).toBeUndefined();
    const [turns] = await stack.sql`select count(*)::int as n from turns where chat_id = ${res.body.chat.id}`;
    expect(turns!.n).toBe(0);
  });

  it('refuses an unknown or disabled model with 400 and creates nothing', async () => {
    const [before] = await stack.sql`select count(*)::int as n from chats`;
    for (const model_config_id of [randomUUID(), disabled]) {
      const err = await refusal(alice.createChat({ body: { content: 'hi', model_config_id } }));
      expect(err.status).toBe(400);
      expect(err.body).toEqual({ message: 'Invalid model config ID.' });
    }
    const [after] = await stack.sql`select count(*)::int as n from chats`;
    expect(after!.n).toBe(before!.n);
  });

  it('rejects bad bodies with validations', async () => {
    const err = await refusal(alice.createChat({ body: { content: '   ', model_config_id: 'not-a-uuid' } }));
    expect(err.status).toBe(400);
    expect(err.body.validations!.map((v) => v.field).sort()).toEqual(['body.content', 'body.model_config_id']);
  });
});

describe('listing and reading', () => {
  it('lists a user’s chats newest first with a cursor', async () => {
    const carol = await stack.memberClient('carol');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await carol.createChat({ body: { title: `c${i}` } })).body.chat.id);
    const page1 = (await carol.listChats({ query: { limit: 2 } })).body;
    expect(page1.data.map((c) => c.id)).toEqual([ids[4], ids[3]]);
    const page2 = (await carol.listChats({ query: { limit: 2, after: page1.next_cursor! } })).body;
    expect(page2.data.map((c) => c.id)).toEqual([ids[2], ids[1]]);
    const page3 = (await carol.listChats({ query: { limit: 2, after: page2.next_cursor! } })).body;
    expect(page3.data.map((c) => c.id)).toEqual([ids[0]]);
    expect(page3.next_cursor).toBeNull();
    expect((await refusal(carol.listChats({ query: { after: 'garbage' } }))).status).toBe(400);
  });

  it('hides another user’s chat behind 404 on every route', async () => {
    const { chatId, firstMessageId } = await chatWithHistory(alice, modelA);
    const [turn] = await stack.sql`select id from turns where chat_id = ${chatId}`;
    const params = { chat_id: chatId };
    const attempts = [
      await refusal(bob.getChat({ params })),
      await refusal(bob.listMessages({ params })),
      await refusal(bob.sendMessage({ params, body: { content: 'hijack' } })),
      await refusal(
        bob.editMessage({ params: { ...params, message_id: firstMessageId }, body: { content: 'hijack' } }),
      ),
      await refusal(bob.getTurn({ params: { ...params, turn_id: turn!.id } })),
    ];
    for (const err of attempts) {
      expect(err.status).toBe(404);
    }
    expect(attempts[3]!.body).toEqual({ message: 'Chat not found.' });
    expect(await contents(chatId)).toEqual(['first', 'reply one']);
  });

  it('reads a turn', async () => {
    const created = await alice.createChat({ body: { content: 'turn me', model_config_id: modelA } });
    const res = await alice.getTurn({ params: { chat_id: created.body.chat.id, turn_id: created.body.turn!.id } });
    expect(res.status).toBe(200);
    expect(res.body.turn).toEqual(created.body.turn);
  });
});

describe('sending', () => {
  it('queues a send while a turn is queued, by default', async () => {
    const created = await alice.createChat({ body: { content: 'one', model_config_id: modelA } });
    const params = { chat_id: created.body.chat.id };
    const res = await alice.sendMessage({ params, body: { content: 'two' } });
    expect(res.status).toBe(202);
    if (res.status !== 202) return;
    expect(res.body.queued_message).toMatchObject({ content: 'two' });
    const messages = (await alice.listMessages({ params })).body;
    expect(messages.data.map((m) => m.content)).toEqual(['one']);
    expect(messages.queued.map((m) => m.content)).toEqual(['two']);
  });

  it('uses the chat’s model by default and moves the chat to an override', async () => {
    const { chatId } = await chatWithHistory(alice, modelA);
    const params = { chat_id: chatId };
    const sent = await alice.sendMessage({ params, body: { content: 'switch', model_config_id: modelB } });
    expect(sent.status).toBe(201);
    if (sent.status !== 201) return;
    expect(sent.body.message.model_config_id).toBe(modelB);
    expect(sent.body.turn).toMatchObject({ status: 'queued', generation: 2, model_config_id: modelB });
    expect((await alice.getChat({ params })).body.chat).toMatchObject({
      last_model_config_id: modelB,
      status: 'pending',
    });
  });

  it('refuses an invalid model with 400 and changes nothing', async () => {
    const { chatId } = await chatWithHistory(alice, modelA);
    const [before] = await snapshot(chatId);
    const err = await refusal(
      alice.sendMessage({ params: { chat_id: chatId }, body: { content: 'x', model_config_id: disabled } }),
    );
    expect(err.status).toBe(400);
    expect(err.body).toEqual({ message: 'Invalid model config ID.' });
    const [after] = await snapshot(chatId);
    expect(after).toEqual(before);
  });
});

describe('editing', () => {
  const edit = (chatId: string, messageId: string, body: { content: string; model_config_id?: string }) =>
    alice.editMessage({ params: { chat_id: chatId, message_id: messageId }, body });
  const lastModel = async (chatId: string) =>
    (await alice.getChat({ params: { chat_id: chatId } })).body.chat.last_model_config_id;

  it('edit with a different model replaces the message, drops later ones and moves the chat', async () => {
    const { chatId, firstMessageId } = await chatWithHistory(alice, modelA);
    const res = await edit(chatId, firstMessageId, { content: 'first, edited', model_config_id: modelB });
    expect(res.status).toBe(200);
    expect(res.body.message).toMatchObject({ role: 'user', content: 'first, edited', model_config_id: modelB });
    expect(res.body.message.id).not.toBe(firstMessageId);
    expect(res.body.turn).toMatchObject({ status: 'queued', model_config_id: modelB, generation: 2 });
    expect(await lastModel(chatId)).toBe(modelB);
    expect(await contents(chatId)).toEqual(['first, edited']);
  });

  it('edit without a model keeps the edited message’s own model even after the chat moved on', async () => {
    const { chatId, firstMessageId } = await chatWithHistory(alice, modelA);
    await alice.sendMessage({ params: { chat_id: chatId }, body: { content: 'now on B', model_config_id: modelB } });
    expect(await lastModel(chatId)).toBe(modelB);

    const res = await edit(chatId, firstMessageId, { content: 'back to the start' });
    expect(res.status).toBe(200);
    expect(res.body.message.model_config_id).toBe(modelA);
    expect(res.body.turn.model_config_id).toBe(modelA);
    expect(await lastModel(chatId)).toBe(modelA);
  });

  it('edit with unknown or disabled model rolls back and answers 400', async () => {
    const { chatId, firstMessageId } = await chatWithHistory(alice, modelA);
    const [before] = await snapshot(chatId);
    for (const model_config_id of [randomUUID(), disabled]) {
      const err = await refusal(edit(chatId, firstMessageId, { content: 'nope', model_config_id }));
      expect(err.status).toBe(400);
      expect(err.body).toEqual({ message: 'Invalid model config ID.' });
    }
    const [after] = await snapshot(chatId);
    expect(after).toEqual(before);
    const messages = await alice.listMessages({ params: { chat_id: chatId } });
    expect(messages.body.data.map((m) => m.id)[0]).toBe(firstMessageId);
  });

  it('edit of a missing message is 404, of an assistant message 400', async () => {
    const { chatId } = await chatWithHistory(alice, modelA);
    const missing = await refusal(edit(chatId, randomUUID(), { content: 'x' }));
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: 'Chat message not found.' });
    const [assistant] = await stack.sql`select id from messages where chat_id = ${chatId} and role = 'assistant'`;
    const wrong = await refusal(edit(chatId, assistant!.id, { content: 'x' }));
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({ message: 'Only user messages can be edited.' });
  });

  it('edit with a bad body is 400 with validations and changes nothing', async () => {
    const { chatId, firstMessageId } = await chatWithHistory(alice, modelA);
    const [before] = await snapshot(chatId);
    // A number for content: the typed client would not send it.
    const raw: ApiClient = stack.admin.as(alice.token);
    const res = await raw.patch(`/api/v1/chats/${chatId}/messages/${firstMessageId}`, { content: 42 });
    expect(res.status).toBe(400);
    expect(res.body.validations[0].field).toBe('body.content');
    const badId = await refusal(edit(chatId, 'not-a-uuid', { content: 'x' }));
    expect(badId.status).toBe(400);
    expect(badId.body.validations![0]!.field).toBe('params.message_id');
    const [after] = await snapshot(chatId);
    expect(after).toEqual(before);
  });

  it('an edit supersedes the queued turn', async () => {
    const created = await alice.createChat({ body: { content: 'original', model_config_id: modelA } });
    const chatId = created.body.chat.id;
    const edited = await edit(chatId, created.body.message!.id, { content: 'replacement' });
    expect(edited.status).toBe(200);
    const old = await alice.getTurn({ params: { chat_id: chatId, turn_id: created.body.turn!.id } });
    expect(old.body.turn.status).toBe('superseded');
    expect(old.body.turn.finished_at).toBeDefined();
  });

  it('concurrent edits of one message: exactly one succeeds, the others get 404 or 409', async () => {
    const { chatId, firstMessageId } = await chatWithHistory(alice, modelA);
    const statuses = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        outcome(edit(chatId, firstMessageId, { content: `edit ${i}` })).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.every((s) => s === 200 || s === 404 || s === 409)).toBe(true);
    const messages = await alice.listMessages({ params: { chat_id: chatId } });
    expect(messages.body.data).toHaveLength(1);
    const [live] =
      await stack.sql`select count(*)::int as n from turns where chat_id = ${chatId} and status = 'queued'`;
    expect(live!.n).toBe(1);
  });
});
