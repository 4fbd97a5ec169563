import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatqClient } from '@chatq/client';
import { startChat, turnReaches } from '../harness/chats.ts';
import { eventually } from '../harness/eventually.ts';
import { outcome, refusal } from '../harness/refusal.ts';
import { createTestDatabase, type TestDatabase, uniqueName } from '../harness/db.ts';
import { PrivateRedis } from '../harness/private-servers.ts';
import { type ServiceProcess, startService } from '../harness/processes.ts';
import { SlowProxy } from '../harness/slow-proxy.ts';
import { ADMIN_TOKEN, testEnv } from '../harness/stack.ts';

/** Everything one test started, stopped after it whatever happens. */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  return db;
}

async function service(kind: 'api' | 'worker', env: Record<string, string>): Promise<ServiceProcess> {
  const process = await startService(kind, env);
  cleanups.push(() => process.stop());
  return process;
}

/** Every turn of the database completed, and each answered exactly once. */
async function expectEveryTurnAnsweredOnce(db: TestDatabase): Promise<void> {
  const turns = await db.sql<{ status: string; replies: number }[]>`
    select t.status, (select count(*)::int from messages m where m.turn_id = t.id and m.role = 'assistant') as replies
    from turns t`;
  expect(turns.length).toBeGreaterThan(0);
  expect(turns.every((t) => t.status === 'completed' && t.replies === 1)).toBe(true);
}

describe('Redis over its maxmemory (noeviction)', () => {
  it('refuses turn-starting requests with 503 and changes nothing, serves the rest, and runs every retried send once Redis has room', async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.close());
    const db = await database();
    const env = testEnv(db, uniqueName('q'), { REDIS_URL: redis.url, ENQUEUE_TIMEOUT_MS: '500' });
    const api = await service('api', env);
    await service('worker', env);
    const admin = new ChatqClient({ baseUrl: api.url, token: ADMIN_TOKEN });
    const before = await startChat(admin, 'before');
    await turnReaches(admin, before.chat.id, before.turn.id, ['completed']);

    const filler = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    cleanups.push(async () => filler.disconnect());
    // 2 MB of data, then a maxmemory below what Redis holds: every write is refused (OOM) until
    // that data goes, however memory moves meanwhile.
    const filled = Array.from({ length: 128 }, (_, i) => `fill:${i}`);
    for (const key of filled) await filler.set(key, 'x'.repeat(16 * 1024));
    const used = Number(/used_memory:(\d+)/.exec(await filler.info('memory'))![1]);
    await filler.config('SET', 'maxmemory', String(used - 256 * 1024));
    await expect(filler.set('one-more', 'x')).rejects.toThrow(/^OOM /);
    const [turnsBefore] = await db.sql<{ n: number }[]>`select count(*)::int as n from turns`;

    const { chat } = (await admin.createChat({ body: { title: 'while full' } })).body;
    const send = () => admin.sendMessage({ params: { chat_id: chat.id }, body: { content: 'while full' } });
    const refused = await refusal(send());
    expect(refused.status).toBe(503);
    expect(refused.body.message).toBe('Queue storage is full; no turn was started. Retry later.');
    expect(refused.headers.get('retry-after')).toBe('5');
    const created = await refusal(admin.createChat({ body: { content: 'also while full' } }));
    expect(created.status).toBe(503);
    // Nothing changed: no message, no turn. Reads still work.
    const [turnsDuring] = await db.sql<{ n: number }[]>`select count(*)::int as n from turns`;
    expect(turnsDuring!.n).toBe(turnsBefore!.n);
    expect((await admin.listMessages({ params: { chat_id: chat.id } })).body.data).toEqual([]);
    expect((await admin.getChat({ params: { chat_id: before.chat.id } })).status).toBe(200);

    await filler.del(...filled);
    const retried = await eventually(async () => {
      const res = await outcome(send());
      return res.status === 201 || res.status === 202 ? res : undefined;
    });
    if (!('turn' in retried.body)) throw new Error('the send was queued');
    await turnReaches(admin, chat.id, retried.body.turn.id, ['completed'], 30_000);
    const messages = (await admin.listMessages({ params: { chat_id: before.chat.id } })).body.data;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    await expectEveryTurnAnsweredOnce(db);
  }, 90_000);
});

describe('Redis answering 200 ms late, both ways', () => {
  it('still takes every send and completes every turn', async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.close());
    const proxy = await SlowProxy.start(redis.port, 200);
    cleanups.push(() => proxy.close());
    const db = await database();
    const env = testEnv(db, uniqueName('q'), { REDIS_URL: proxy.url });
    const api = await service('api', env);
    await service('worker', env);
    const admin = new ChatqClient({ baseUrl: api.url, token: ADMIN_TOKEN });

    const created = await Promise.all([1, 2, 3, 4].map((i) => startChat(admin, `slow ${i}`)));
    for (const { chat, turn } of created) await turnReaches(admin, chat.id, turn.id, ['completed'], 60_000);
    const chat = created[0]!.chat;
    const sent = await admin.sendMessage({ params: { chat_id: chat.id }, body: { content: 'and another' } });
    expect(sent.status).toBe(201);
    if (sent.status !== 201) throw new Error('the send was queued');
    await turnReaches(admin, chat.id, sent.body.turn.id, ['completed'], 60_000);
    const messages = (await admin.listMessages({ params: { chat_id: chat.id } })).body.data;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    await expectEveryTurnAnsweredOnce(db);
  }, 120_000);
});
