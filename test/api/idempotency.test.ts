import { REPLAYED_HEADER } from '@chatq/api/http/idempotency.ts';
import { createTurnQueue } from '@chatq/chat-core';
import { createRedis, type RedisClient as Redis } from '@chatq/platform';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApiClient } from '../harness/http.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

describe('Idempotency-Key', () => {
  let stack: TestStack;
  let alice: ApiClient;
  let redis: Redis;
  let queue: Queue;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { IDEMPOTENCY_PRUNE_INTERVAL_MS: '100' } });
    alice = await stack.member('alice');
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
  const count = async (table: 'messages' | 'turns', chatId: string) =>
    (await stack.sql`select count(*)::int as n from ${stack.sql(table)} where chat_id = ${chatId}`)[0]!.n as number;

  it('replays the first response exactly, creating no second message, turn or job', async () => {
    const chat = (await alice.post('/api/v1/chats', {})).body.chat;
    const k = key();
    const path = `/api/v1/chats/${chat.id}/messages`;
    const first = await alice.post(path, { content: 'once' }, withKey(k));
    const again = await alice.post(path, { content: 'once' }, withKey(k));
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
    const first = await alice.post('/api/v1/chats', { title: 'popular' }, withKey(k));
    const retries = await Promise.all(
      Array.from({ length: 10 }, () => alice.post('/api/v1/chats', { title: 'popular' }, withKey(k))),
    );
    expect(retries.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(retries.every((r) => r.body.chat.id === first.body.chat.id)).toBe(true);
  });

  it('covers creates with a first message and edits too', async () => {
    const k = key();
    const created = await alice.post('/api/v1/chats', { content: 'hello' }, withKey(k));
    const replay = await alice.post('/api/v1/chats', { content: 'hello' }, withKey(k));
    expect(replay.body).toEqual(created.body);
    const chatId = created.body.chat.id;
    expect((await alice.get('/api/v1/chats')).body.data.filter((c: { id: string }) => c.id === chatId)).toHaveLength(1);

    const edit = `/api/v1/chats/${chatId}/messages/${created.body.message.id}`;
    const k2 = key();
    const edited = await alice.patch(edit, { content: 'hello again' }, withKey(k2));
    const editReplay = await alice.patch(edit, { content: 'hello again' }, withKey(k2));
    expect(edited.status).toBe(200);
    expect(editReplay.body).toEqual(edited.body);
    expect(await count('turns', chatId)).toBe(2);
  });

  it('treats the same fields in another order, or a default spelled out, as the same request', async () => {
    const k = key();
    const created = await alice.request('POST', '/api/v1/chats', '{"title":"order","content":"x"}', withKey(k));
    const reordered = await alice.request('POST', '/api/v1/chats', '{"content":"x","title":"order"}', withKey(k));
    expect(created.status).toBe(201);
    expect(reordered.body).toEqual(created.body);
    expect(reordered.headers.get(REPLAYED_HEADER)).toBe('true');

    const k2 = key();
    const user = await stack.admin.post('/api/v1/users', { username: 'defaults' }, withKey(k2));
    const spelled = await stack.admin.post('/api/v1/users', { role: 'member', username: 'defaults' }, withKey(k2));
    expect(user.status).toBe(201);
    expect(spelled.body).toEqual(user.body);
  });

  it('refuses the key with another body or another path with 422', async () => {
    const a = (await alice.post('/api/v1/chats', {})).body.chat;
    const b = (await alice.post('/api/v1/chats', {})).body.chat;
    const k = key();
    expect((await alice.post(`/api/v1/chats/${a.id}/messages`, { content: 'x' }, withKey(k))).status).toBe(201);
    for (const [path, body] of [
      [`/api/v1/chats/${a.id}/messages`, { content: 'y' }],
      [`/api/v1/chats/${b.id}/messages`, { content: 'x' }],
    ] as const) {
      const res = await alice.post(path, body, withKey(k));
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ message: 'Idempotency key reused with different parameters.' });
    }
    expect(await count('messages', b.id)).toBe(0);
  });

  it('answers 409 with Retry-After: 1 while the first request with the key is still in flight', async () => {
    const chat = (await alice.post('/api/v1/chats', {})).body.chat;
    const path = `/api/v1/chats/${chat.id}/messages`;
    const k = key();
    const locker = await stack.sql.reserve();
    try {
      await locker`begin`;
      await locker`select 1 from chats where id = ${chat.id} for update`;
      const first = alice.post(path, { content: 'slow' }, withKey(k));
      await eventually(async () => {
        const rows = await stack.sql`
          select 1 from pg_locks l join pg_database d on d.oid = l.database
          where l.locktype = 'advisory' and l.granted and d.datname = current_database()`;
        return rows.length > 0 ? true : undefined;
      });
      const second = await alice.post(path, { content: 'slow' }, withKey(k));
      expect(second.status).toBe(409);
      expect(second.body.message).toBe('A request with this Idempotency-Key is still in progress.');
      expect(second.headers.get('retry-after')).toBe('1');
      await locker`commit`;
      expect((await first).status).toBe(201);
    } finally {
      locker.release();
    }
    const third = await alice.post(path, { content: 'slow' }, withKey(k));
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
    try {
      const failed = await alice.post('/api/v1/chats', { title: 'atomic', content: 'hi' }, withKey(k));
      expect(failed.status).toBe(500);
      expect(await stack.sql`select 1 from chats where title = 'atomic'`).toHaveLength(0);
    } finally {
      await stack.sql`drop trigger refuse_record on idempotency_keys`;
      await stack.sql`drop function refuse_record()`;
    }
    expect((await alice.post('/api/v1/chats', { title: 'atomic', content: 'hi' }, withKey(k))).status).toBe(201);
    expect(await stack.sql`select 1 from chats where title = 'atomic'`).toHaveLength(1);
  });

  it("nests a service's own transaction inside the key's", async () => {
    const provider = (await stack.admin.get('/api/v1/providers')).body.data[0];
    const k = key();
    const body = { provider_id: provider.id, model: 'idem-model', is_default: true };
    const first = await stack.admin.post('/api/v1/model-configs', body, withKey(k));
    const again = await stack.admin.post('/api/v1/model-configs', body, withKey(k));
    expect(first.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await stack.sql`select 1 from model_configs where model = 'idem-model'`).toHaveLength(1);
  });

  it('scopes keys to the caller', async () => {
    const bob = await stack.member('bob');
    const k = key();
    const mine = await alice.post('/api/v1/chats', { title: 'mine' }, withKey(k));
    const his = await bob.post('/api/v1/chats', { title: 'his' }, withKey(k));
    expect(his.status).toBe(201);
    expect(his.body.chat.id).not.toBe(mine.body.chat.id);
  });

  it('remembers a refusal, but not a conflict with concurrent work', async () => {
    const k = key();
    const missing = `/api/v1/chats/00000000-0000-7000-8000-000000000000/messages`;
    expect((await alice.post(missing, { content: 'x' }, withKey(k))).status).toBe(404);
    const replayed = await alice.post(missing, { content: 'x' }, withKey(k));
    expect(replayed.status).toBe(404);
    expect(replayed.headers.get(REPLAYED_HEADER)).toBe('true');

    const { chat } = (await alice.post('/api/v1/chats', { title: 'idle for now' })).body;
    const k2 = key();
    const interrupt = `/api/v1/chats/${chat.id}/interrupt`;
    expect((await alice.post(interrupt, {}, withKey(k2))).status).toBe(409);
    await alice.post(`/api/v1/chats/${chat.id}/messages`, { content: 'now there is a turn' });
    expect((await alice.post(interrupt, {}, withKey(k2))).status).toBe(200);
  });

  it('replays a minted token without keeping it readable in the database', async () => {
    const me = (await alice.get('/api/v1/users/me')).body.user;
    const k = key();
    const first = await alice.post(`/api/v1/users/${me.id}/tokens`, {}, withKey(k));
    const again = await alice.post(`/api/v1/users/${me.id}/tokens`, {}, withKey(k));
    expect(again.body.token).toBe(first.body.token);
    const dump = JSON.stringify(await stack.sql`select encode(body, 'escape') as b from idempotency_keys`);
    expect(dump).not.toContain(first.body.token);
    expect((await alice.as(first.body.token).get('/api/v1/users/me')).status).toBe(200);
  });

  it('refuses a malformed key before doing anything', async () => {
    const res = await alice.post('/api/v1/chats', { title: 'never' }, withKey('k'.repeat(256)));
    expect(res.status).toBe(400);
    expect(res.body.validations).toEqual([
      { field: 'headers.idempotency-key', detail: 'must be one header of 1 to 255 characters' },
    ]);
    expect(await stack.sql`select 1 from chats where title = 'never'`).toHaveLength(0);
  });

  it('leaves requests without a key alone', async () => {
    const before = await stack.sql`select count(*)::int as n from idempotency_keys`;
    await alice.post('/api/v1/chats', { title: 'plain' });
    expect(await stack.sql`select count(*)::int as n from idempotency_keys`).toEqual(before);
  });

  it('forgets keys once they expire, and prunes them in the background', async () => {
    const k = key();
    await alice.post('/api/v1/chats', { title: 'first' }, withKey(k));
    await stack.sql`update idempotency_keys set expires_at = now() - interval '1 second' where key = ${k}`;
    const reused = await alice.post('/api/v1/chats', { title: 'second' }, withKey(k));
    expect(reused.status).toBe(201);
    expect(reused.body.chat.title).toBe('second');

    await stack.sql`update idempotency_keys set expires_at = now() - interval '1 second'`;
    await eventually(async () => {
      const [row] = await stack.sql`select count(*)::int as n from idempotency_keys`;
      return row!.n === 0 ? true : undefined;
    });
  });
});
