import { ChatqClient } from '@chatq/client';
import { loadWorkerConfig } from '@chatq/worker/config.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, uniqueName } from '../harness/db.ts';
import { settledChat, startChat } from '../harness/chats.ts';
import { PrivateRedisCluster } from '../harness/private-servers.ts';
import { type ServiceProcess, startService } from '../harness/processes.ts';
import { ADMIN_TOKEN, testEnv } from '../harness/stack.ts';

describe('on a Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let db: TestDatabase;
  let admin: ChatqClient;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    cluster = await PrivateRedisCluster.start();
    db = await createTestDatabase();
    const env = testEnv(db, `{${uniqueName('q')}}`, { REDIS_URL: cluster.url, REDIS_CLUSTER: 'true' });
    processes.push(...(await Promise.all([startService('api', env), startService('worker', env)])));
    admin = new ChatqClient({ baseUrl: processes[0]!.url, token: ADMIN_TOKEN });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await cluster?.close();
    await db?.drop();
  });

  it('runs turns end to end with a hash-tagged queue prefix', async () => {
    expect((await admin.getReadiness()).body.checks.redis).toBe('ok');
    const { chat, message } = await startChat(admin, 'hello cluster');
    expect((await settledChat(admin, chat.id)).status).toBe('idle');
    const edited = await admin.editMessage({
      params: { chat_id: chat.id, message_id: message.id },
      body: { content: 'again' },
    });
    expect(edited.status).toBe(200);
    expect((await settledChat(admin, chat.id)).status).toBe('idle');
    const history = (await admin.listMessages({ params: { chat_id: chat.id } })).body.data;
    expect(history.map((m) => [m.role, m.role === 'user' ? m.content : 'reply'])).toEqual([
      ['user', 'again'],
      ['assistant', 'reply'],
    ]);
    // The turns came through the queue, not the outbox relay: the API's own enqueue works on a cluster.
    const [row] = await db.sql`select count(*)::int as n from turns where relayed_at is not null`;
    expect(row!.n).toBe(0);
  });

  it('refuses to start on a cluster without a hash-tagged queue prefix', () => {
    const env = { ...testEnv(db, 'chatq'), REDIS_CLUSTER: 'true' };
    expect(() => loadWorkerConfig(env)).toThrow(/QUEUE_PREFIX: must start with a hash tag/);
    expect(loadWorkerConfig({ ...env, QUEUE_PREFIX: '{chatq}' }).redisCluster).toBe(true);
  });
});
