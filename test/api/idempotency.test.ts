import { REPLAYED_HEADER } from '@chatq/api/http/idempotency.ts';
import type { ChatqClient } from '@chatq/client';
import { createTurnQueue } from '@chatq/chat-core';
import { createRedis, type RedisClient as Redis } from '@chatq/platform';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { refusal } from '../harness/refusal.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

describe('Idempotency-Key', () => {
  let stack: TestStack;
  let alice: ChatqClient;
  let redis: Redis;
  let queue: Queue;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { IDEMPOTENCY_PRUNE_INTERVAL_MS: '100' } });
    alice = await stack.memberClient('alice');
    redis = createRedis(inject('redisUrl'), 'consumer');
    queue = createTurnQueue(redis, stack.prefix);
  });
  afterAll(async () => {
    await queue.close();
    redis.disconnect();
    await stack.close();
  });

  const key = () => `key-${Math.random().toString(36).slice(2)}`;
  const withKey = (k: string) => ({ 'idempotency-key': k });
  const newChat = async (body: { title?: string } = {}) => (await alice.createChat({ body })).body.chat;
  const count = async (table: 'messages' | 'turns', chatId: string) =>
    (await stack.sql`select count(*)::int as n from ${stack.sql(table)} where chat_id = ${chatId}`)[0]!.n as number;

  it('replays the first response exactly, creating no second message, turn or job', async () => {
    const chat = await newChat();
    const k = key();
    const params = { chat_id: chat.id };
    const first = await alice.sendMessage({ params, body: { content: 'once' }, headers: withKey(k) });
    const again = await alice.sendMessage({ params, body: { content: 'once' }, headers: withKey(k) });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(first.headers.get(REPLAYED_HEADER)).toBeNull();
    expect(again.headers.get(REPLAYED_HEADER)).toBe('true');
    expect(await count('messages', chat.id)).toBe(1);
    expect(await count('turns', chat.id)).toBe(1);
    const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active']);
    expect(jobs.filter((j) => j.data.chat_id === chat.id)).toHaveLength(1);
  });

  it('replays to many concurrent retries of a finished request', async () => {
    const k = key();
    const create = () => alice.createChat({ body: { title: 'popular' }, headers: withKey(k) });
    const first = await create();
    const retries = await Promise.all(Array.from({ length: 10 }, create));
    expect(retries.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(retries.every((r) => r.body.chat.id === first.body.chat.id)).toBe(true);
  });

  it('covers creates with a first message and edits too', async () => {
    const k = key();
    const created = await alice.createChat({ body: { content: 'hello' }, headers: withKey(k) });
    const replay = await alice.createChat({ body: { content: 'hello' }, headers: withKey(k) });
    expect(replay.body).toEqual(created.body);
    const chatId = created.body.chat.id;
    expect((await alice.listChats()).body.data.filter((c) => c.id === chatId)).toHaveLength(1);

    const params = { chat_id: chatId, message_id: created.body.message!.id };
    const k2 = key();
    const edited = await alice.editMessage({ params, body: { content: 'hello again' }, headers: withKey(k2) });
    const editReplay = await alice.editMessage({ params, body: { content: 'hello again' }, headers: withKey(k2) });
    expect(edited.status).toBe(200);
    expect(editReplay.body).toEqual(edited.body);
    expect(await count('turns', chatId)).toBe(2);
  });

  it('treats the same fields in another order, or a default spelled out, as the same request', async () => {
    const k = key();
    // JSON.stringify keeps insertion order: these two bodies reach the wire with their fields swapped.
    const created = await alice.createChat({ body: { title: 'order', content: 'x' }, headers: withKey(k) });
    const reordered = await alice.createChat({ body: { content: 'x', title: 'order' }, headers: withKey(k) });
    expect(created.status).toBe(201);
    expect(reordered.body).toEqual(created.body);
    expect(reordered.headers.get(REPLAYED_HEADER)).toBe('true');

    const k2 = key();
    const user = await stack.client.createUser({ body: { username: 'defaults' }, headers: withKey(k2) });
    const spelled = await stack.client.createUser({
      body: { role: 'member', username: 'defaults' },
      headers: withKey(k2),
    });
    expect(user.status).toBe(201);
    expect(spelled.body).toEqual(user.body);
  });

  it('refuses the key with another body or another path with 422', async () => {
    const a = await newChat();
    const b = await newChat();
    const k = key();
    const sent = await alice.sendMessage({ params: { chat_id: a.id }, body: { content: 'x' }, headers: withKey(k) });
    expect(sent.status).toBe(201);
    for (const [chatId, content] of [
      [a.id, 'y'],
      [b.id, 'x'],
    ] as const) {
      const err = await refusal(
        alice.sendMessage({ params: { chat_id: chatId }, body: { content }, headers: withKey(k) }),
      );
      expect(err.status).toBe(422);
      expect(err.body).toEqual({ message: 'Idempotency key reused with different parameters.' });
    }
    expect(await count('messages', b.id)).toBe(0);
  });

  it('answers 409 with Retry-After: 1 while the first request with the key is still in flight', async () => {
    const chat = await newChat();
    const k = key();
    const send = () =>
      alice.sendMessage({ params: { chat_id: chat.id }, body: { content: 'slow' }, headers: withKey(k) });
    const locker = await stack.sql.reserve();
    try {
      await locker`begin`;
      await locker`select 1 from chats where id = ${chat.id} for update`;
      const first = send();
      await eventually(async () => {
        const rows = await stack.sql`
          select 1 from pg_locks l join pg_database d on d.oid = l.database
          where l.locktype = 'advisory' and l.granted and d.datname = current_database()`;
        return rows.length > 0 ? true : undefined;
      });
      const second = await refusal(send());
      expect(second.status).toBe(409);
      expect(second.body.message).toBe('A request with this Idempotency-Key is still in progress.');
      expect(second.headers.get('retry-after')).toBe('1');
      await locker`commit`;
      expect((await first).status).toBe(201);
    } finally {
      locker.release();
    }
    const third = await send();
    expect(third.status).toBe(201);
    expect(third.headers.get(REPLAYED_HEADER)).toBe('true');
    expect(await count('messages', chat.id)).toBe(1);
  });

  it('commits the change and its record together: when the record fails, so does the change', async () => {
    await stack.sql`
      create function refuse_record() returns trigger language plpgsql as $$
      begin raise exception 'record refused'; end $$`;
    await stack.sql`
      create trigger refuse_record before insert on idempotency_keys for each row execute function refuse_record()`;
    const k = key();
    const create = () => alice.createChat({ body: { title: 'atomic', content: 'hi' }, headers: withKey(k) });
    try {
      const failed = await refusal(create());
      expect(failed.status).toBe(500);
      expect(await stack.sql`select 1 from chats where title = 'atomic'`).toHaveLength(0);
    } finally {
      await stack.sql`drop trigger refuse_record on idempotency_keys`;
      await stack.sql`drop function refuse_record()`;
    }
    expect((await create()).status).toBe(201);
    expect(await stack.sql`select 1 from chats where title = 'atomic'`).toHaveLength(1);
  });

  it("nests a service's own transaction inside the key's", async () => {
    const provider = (await stack.client.listProviders()).body.data[0]!;
    const k = key();
    const body = { provider_id: provider.id, model: 'idem-model', is_default: true };
    const first = await stack.client.createModelConfig({ body, headers: withKey(k) });
    const again = await stack.client.createModelConfig({ body, headers: withKey(k) });
    expect(first.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await stack.sql`select 1 from model_configs where model = 'idem-model'`).toHaveLength(1);
  });

  it('scopes keys to the caller', async () => {
    const bob = await stack.memberClient('bob');
    const k = key();
    const mine = await alice.createChat({ body: { title: 'mine' }, headers: withKey(k) });
    const his = await bob.createChat({ body: { title: 'his' }, headers: withKey(k) });
    expect(his.status).toBe(201);
    expect(his.body.chat.id).not.toBe(mine.body.chat.id);
  });

  it('remembers a refusal, but not a conflict with concurrent work', async () => {
    const k = key();
    const missing = () =>
      alice.sendMessage({
        params: { chat_id: '00000000-0000-7000-8000-000000000000' },
        body: { content: 'x' },
        headers: withKey(k),
      });
    expect((await refusal(missing())).status).toBe(404);
    const replayed = await refusal(missing());
    expect(replayed.status).toBe(404);
    expect(replayed.headers.get(REPLAYED_HEADER)).toBe('true');

    const chat = await newChat({ title: 'idle for now' });
    const params = { chat_id: chat.id };
    const k2 = key();
    expect((await refusal(alice.interruptChat({ params, headers: withKey(k2) }))).status).toBe(409);
    await alice.sendMessage({ params, body: { content: 'now there is a turn' } });
    expect((await alice.interruptChat({ params, headers: withKey(k2) })).status).toBe(200);
  });

  it('replays a minted token without keeping it readable in the database', async () => {
    const me = (await alice.getMe()).body.user;
    const k = key();
    const first = await alice.createToken({ params: { id: me.id }, body: {}, headers: withKey(k) });
    const again = await alice.createToken({ params: { id: me.id }, body: {}, headers: withKey(k) });
    expect(again.body.token).toBe(first.body.token);
    const dump = JSON.stringify(await stack.sql`select encode(body, 'escape') as b from idempotency_keys`);
    expect(dump).not.toContain(first.body.token);
    expect((await alice.as(first.body.token).getMe()).status).toBe(200);
  });

  it('refuses a malformed key before doing anything', async () => {
    const err = await refusal(alice.createChat({ body: { title: 'never' }, headers: withKey('k'.repeat(256)) }));
    expect(err.status).toBe(400);
    expect(err.body.validations).toEqual([
      { field: 'headers.idempotency-key', detail: 'must be one header of 1 to 255 characters' },
    ]);
    expect(await stack.sql`select 1 from chats where title = 'never'`).toHaveLength(0);
  });

  it('leaves requests without a key alone', async () => {
    const before = await stack.sql`select count(*)::int as n from idempotency_keys`;
    await newChat({ title: 'plain' });
    expect(await stack.sql`select count(*)::int as n from idempotency_keys`).toEqual(before);
  });

  it('forgets keys once they expire, and prunes them in the background', async () => {
    const k = key();
    await alice.createChat({ body: { title: 'first' }, headers: withKey(k) });
    await stack.sql`update idempotency_keys set expires_at = now() - interval '1 second' where key = ${k}`;
    const reused = await alice.createChat({ body: { title: 'second' }, headers: withKey(k) });
    expect(reused.status).toBe(201);
    expect(reused.body.chat.title).toBe('second');

    await stack.sql`update idempotency_keys set expires_at = now() - interval '1 second'`;
    await eventually(async () => {
      const [row] = await stack.sql`select count(*)::int as n from idempotency_keys`;
      return row!.n === 0 ? true : undefined;
    });
  });
});
