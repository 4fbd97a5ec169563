import type { ChatqClient, ChatqRequest } from '@chatq/client';
import { type Chat, turnJobId } from '@chatq/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTurnQueue } from '../harness/queue.ts';
import { refusal } from '../harness/refusal.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

describe('chat lists, filters, rename, archive and delete', () => {
  let stack: TestStack;
  let alice: ChatqClient;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
    alice = await stack.memberClient('alice');
  });
  afterAll(() => stack.close());

  const newChat = async (client: ChatqClient, body: ChatqRequest<'createChat'>['body']) =>
    (await client.createChat({ body })).body;
  const listChats = async (client: ChatqClient, query: ChatqRequest<'listChats'>['query'] = {}) =>
    (await client.listChats({ query })).body;

  it('pages forward with after, back with before, newest first, and never repeats or skips', async () => {
    const member = await stack.memberClient();
    const made: Chat[] = [];
    for (let i = 0; i < 7; i++) made.push((await newChat(member, { title: `chat ${i}` })).chat);
    const newestFirst = made.map((c) => c.id).reverse();

    const p1 = await listChats(member, { limit: 3 });
    const p2 = await listChats(member, { limit: 3, after: p1.next_cursor! });
    const p3 = await listChats(member, { limit: 3, after: p2.next_cursor! });
    expect([p1.has_more, p2.has_more, p3.has_more]).toEqual([true, true, false]);
    expect(p3.next_cursor).toBeNull();
    expect([...p1.data, ...p2.data, ...p3.data].map((c) => c.id)).toEqual(newestFirst);

    const back2 = await listChats(member, { limit: 3, before: p2.next_cursor! });
    expect(back2.data.map((c) => c.id)).toEqual(p2.data.map((c) => c.id));
    expect(back2.has_more).toBe(true);
    const back1 = await listChats(member, { limit: 3, before: back2.next_cursor! });
    expect(back1.data.map((c) => c.id)).toEqual(p1.data.map((c) => c.id));
    expect(back1).toMatchObject({ has_more: false, next_cursor: null });
  });

  it('keeps pages stable while chats are created concurrently', async () => {
    const member = await stack.memberClient();
    for (let i = 0; i < 6; i++) await newChat(member, { title: `old ${i}` });
    const first = await listChats(member, { limit: 3 });
    const inserted = await Promise.all([1, 2, 3].map((i) => newChat(member, { title: `new ${i}` })));
    const second = await listChats(member, { limit: 3, after: first.next_cursor! });
    const seen = [...first.data, ...second.data].map((c) => c.title);
    expect(new Set(seen).size).toBe(6);
    expect(seen.every((t) => t.startsWith('old'))).toBe(true);
    const all = [];
    for await (const chat of member.paginate('listChats', { query: { limit: 4 } })) all.push(chat.id);
    expect(all).toHaveLength(9);
    expect(all).toEqual(expect.arrayContaining(inserted.map((r) => r.chat.id)));
  });

  it('defaults to 20 and refuses limits outside 1-100 and cursors it did not issue', async () => {
    const member = await stack.memberClient();
    for (let i = 0; i < 21; i++) await newChat(member, { title: `c${i}` });
    expect((await listChats(member)).data).toHaveLength(20);
    for (const limit of [0, 101]) {
      expect((await refusal(listChats(member, { limit }))).status).toBe(400);
    }
    const bad = await refusal(listChats(member, { after: 'bm90LWEtY3Vyc29y' }));
    expect(bad.body).toEqual({
      message: 'Invalid cursor.',
      validations: [{ field: 'querystring.after', detail: 'is not a cursor this list issued' }],
    });
  });

  it('filters by status, archived and title, treating LIKE wildcards literally', async () => {
    const member = await stack.memberClient();
    const a = (await newChat(member, { title: 'Quarterly Report' })).chat;
    const b = (await newChat(member, { title: '100% done_ok' })).chat;
    const c = (await newChat(member, { content: 'hello there' })).chat;
    await member.updateChat({ params: { chat_id: b.id }, body: { archived: true } });

    const ids = async (query: ChatqRequest<'listChats'>['query']) =>
      (await listChats(member, query)).data.map((x) => x.id).sort();
    expect(await ids({ q: 'report' })).toEqual([a.id]);
    expect(await ids({ q: '0% d' })).toEqual([b.id]);
    expect(await ids({ q: '%' })).toEqual([b.id]);
    expect(await ids({ q: 'y_R' })).toEqual([]);
    expect(await ids({ archived: true })).toEqual([b.id]);
    expect(await ids({ archived: false })).toEqual([a.id, c.id].sort());
    expect(await ids({ status: 'pending' })).toEqual([c.id]);
    expect(await ids({ status: 'idle', archived: false })).toEqual([a.id]);
  });

  it('pages through messages oldest first', async () => {
    const { chat } = await newChat(alice, { content: 'first' });
    await stack.sql`
      insert into messages (chat_id, role, content)
      select ${chat.id}, 'user', 'm' || i from generate_series(2, 12) i`;
    const params = { chat_id: chat.id };
    const p1 = (await alice.listMessages({ params, query: { limit: 5 } })).body;
    expect(p1.data.map((m) => m.content)).toEqual(['first', 'm2', 'm3', 'm4', 'm5']);
    const all = [];
    for await (const m of alice.paginate('listMessages', { params })) all.push(m.content);
    expect(all).toHaveLength(12);
    expect(all.at(-1)).toBe('m12');
    const back = (await alice.listMessages({ params, query: { limit: 5, before: p1.next_cursor! } })).body;
    expect(back.data.map((m) => m.content)).toEqual(p1.data.map((m) => m.content));
  });

  it('pages the admin lists of providers and model configs', async () => {
    for (let i = 0; i < 3; i++) await stack.client.createProvider({ body: { name: `p${i}`, kind: 'mock' } });
    const p1 = (await stack.client.listProviders({ query: { limit: 2 } })).body;
    const p2 = (await stack.client.listProviders({ query: { limit: 2, after: p1.next_cursor! } })).body;
    expect(p1.has_more).toBe(true);
    expect(new Set([...p1.data, ...p2.data].map((p) => p.name)).size).toBe(4);
    const configs = (await stack.client.listModelConfigs({ query: { limit: 1 } })).body;
    expect(configs.data).toHaveLength(1);
  });

  it('renames and archives; an archived chat refuses sends and edits until unarchived', async () => {
    const { chat, message } = await newChat(alice, { content: 'hi' });
    const params = { chat_id: chat.id };
    await stack.sql`update turns set status = 'completed' where chat_id = ${chat.id}`;
    const renamed = await alice.updateChat({ params, body: { title: '  Renamed  ' } });
    expect(renamed.body.chat).toMatchObject({ title: 'Renamed', archived: false });
    expect((await alice.updateChat({ params, body: { archived: true } })).body.chat).toMatchObject({
      title: 'Renamed',
      archived: true,
    });

    const before = await stack.sql`select count(*)::int as n from messages where chat_id = ${chat.id}`;
    for (const attempt of [
      () => alice.sendMessage({ params, body: { content: 'more' } }),
      () => alice.editMessage({ params: { ...params, message_id: message!.id }, body: { content: 'changed' } }),
    ]) {
      const err = await refusal(attempt());
      expect(err.status).toBe(400);
      expect(err.body).toEqual({ message: 'Cannot modify an archived chat.' });
    }
    const after = await stack.sql`select count(*)::int as n from messages where chat_id = ${chat.id}`;
    expect(after).toEqual(before);

    await alice.updateChat({ params, body: { archived: false } });
    const sent = await alice.sendMessage({ params, body: { content: 'more' } });
    expect(sent).toMatchObject({ status: 201, body: { message: { content: 'more' } } });
  });

  it("refuses an empty title and another user's chat", async () => {
    const { chat } = await newChat(alice, {});
    const params = { chat_id: chat.id };
    expect((await refusal(alice.updateChat({ params, body: { title: '   ' } }))).status).toBe(400);
    const bob = await stack.memberClient('bob');
    expect((await refusal(bob.updateChat({ params, body: { archived: true } }))).status).toBe(404);
    expect((await refusal(bob.deleteChat({ params }))).status).toBe(404);
    expect((await alice.getChat({ params })).body.chat.archived).toBe(false);
  });

  it('deletes a chat with its messages and turns for good', async () => {
    const { chat, turn } = await newChat(alice, { content: 'doomed' });
    const params = { chat_id: chat.id };
    await alice.deleteChat({ params });
    expect((await refusal(alice.getChat({ params }))).status).toBe(404);
    expect((await refusal(alice.deleteChat({ params }))).status).toBe(404);
    const left = await stack.sql`
      select (select count(*) from messages where chat_id = ${chat.id})::int as messages,
             (select count(*) from turns where id = ${turn!.id})::int as turns`;
    expect(left[0]).toEqual({ messages: 0, turns: 0 });
  });
});

describe('deleting a chat while its turn runs', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('cancels the turn: the worker writes nothing and the job ends', async () => {
    const provider = (await stack.client.listProviders()).body.data[0]!;
    const slow = await stack.client.createModelConfig({
      body: { provider_id: provider.id, model: 'mock-slow', options: { latency_ms: 1_500 } },
    });
    const { chat, turn } = (
      await stack.client.createChat({ body: { content: 'take your time', model_config_id: slow.body.model_config.id } })
    ).body;
    await eventually(async () => {
      const [row] = await stack.sql`select status from turns where id = ${turn!.id}`;
      return row?.status === 'running' ? true : undefined;
    });
    await stack.client.deleteChat({ params: { chat_id: chat.id } });
    const queue = openTurnQueue(stack.prefix);
    try {
      const job = await eventually(async () => {
        const state = await queue.getJobState(turnJobId(turn!.id));
        return state === 'completed' || state === 'failed' ? state : undefined;
      });
      expect(job).toBe('completed');
    } finally {
      await queue.close();
    }
    const rows = await stack.sql`select 1 from messages where chat_id = ${chat.id}`;
    expect(rows).toHaveLength(0);
  });
});
