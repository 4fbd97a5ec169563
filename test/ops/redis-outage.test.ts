import { ChatqClient } from '@chatq/client';
import { turnJobId } from '@chatq/contracts';
import { withTimeout } from '@chatq/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChat, turnReaches } from '../harness/chats.ts';
import { createTestDatabase, type TestDatabase, uniqueName } from '../harness/db.ts';
import { mockModel } from '../harness/models.ts';
import { PrivateRedis } from '../harness/private-servers.ts';
import { type ServiceProcess, startService } from '../harness/processes.ts';
import { openTurnQueue } from '../harness/queue.ts';
import { ADMIN_TOKEN, eventually, testEnv } from '../harness/stack.ts';

/** No request may wait on a dead Redis longer than this (ENQUEUE_TIMEOUT_MS plus slack). */
const BOUND_MS = 3_000;

describe('Redis restarted under a running API and workers', () => {
  let redis: PrivateRedis;
  let db: TestDatabase;
  let admin: ChatqClient;
  let env: Record<string, string>;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    db = await createTestDatabase();
    env = testEnv(db, uniqueName('q'), {
      REDIS_URL: redis.url,
      ENQUEUE_TIMEOUT_MS: '500',
      WORKER_LOCK_DURATION_MS: '1000',
      WORKER_STALLED_INTERVAL_MS: '1000',
    });
    processes.push(
      ...(await Promise.all([startService('api', env), startService('worker', env), startService('worker', env)])),
    );
    admin = new ChatqClient({ baseUrl: processes[0]!.url, token: ADMIN_TOKEN });
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await redis?.close();
    await db?.drop();
  });

  /** A request that must answer, not hang, however Redis is doing. */
  const bounded = <T>(request: Promise<T>): Promise<T> => withTimeout(request, BOUND_MS, 'request during the outage');

  it('keeps accepting sends and edits, and processes every turn once Redis is back', async () => {
    const model = await mockModel(admin, 200);
    const before = await Promise.all([1, 2, 3, 4].map((i) => startChat(admin, `before ${i}`, model)));

    await redis.kill();
    const readiness = await bounded(admin.getReadiness());
    expect(readiness.status).toBe(503);
    expect(readiness.body.checks.redis).toBe('down');

    const during = [];
    for (let i = 1; i <= 6; i++) {
      const created = await bounded(admin.createChat({ body: { content: `during ${i}`, model_config_id: model } }));
      expect(created.status).toBe(201);
      during.push(created.body);
    }
    const edits = [];
    for (const { chat, message } of before) {
      const edited = await bounded(
        admin.editMessage({
          params: { chat_id: chat.id, message_id: message.id },
          body: { content: `edited ${chat.id}` },
        }),
      );
      expect(edited.status).toBe(200);
      edits.push(edited.body);
    }
    // The outage lasts until the outbox relay has met it: it has taken a turn of the outage (the
    // API's own enqueue failed) and is trying to enqueue it on the dead Redis.
    const outageTurns = [...during, ...edits].map(({ turn }) => turn!.id);
    await eventually(
      async () => {
        const [row] = await db.sql<{ n: number }[]>`
          select count(*)::int as n from turns where id = any(${outageTurns}) and relayed_at is not null`;
        return row!.n > 0 ? true : undefined;
      },
      { what: 'the outbox relay to take a turn of the outage' },
    );
    await redis.start();

    const expected = new Map<string, string>([
      ...during.map(({ chat }) => [chat.id, chat.title] as [string, string]),
      ...edits.map(({ message }) => [message.chat_id, message.content] as [string, string]),
    ]);
    for (const [chatId, content] of expected) {
      const history = await eventually(
        async () => {
          const res = await admin.listMessages({ params: { chat_id: chatId } });
          return res.body.data.length === 2 ? res.body.data : undefined;
        },
        { timeoutMs: 20_000, what: `the reply in chat ${chatId}` },
      );
      expect(history.map((m) => m.role)).toEqual(['user', 'assistant']);
      expect(history[0]!.content).toBe(content);
    }
    const live = await db.sql`select count(*)::int as n from turns where status in ('queued', 'running')`;
    expect(live[0]!.n).toBe(0);
    const twice = await db.sql`
      select turn_id from messages where role = 'assistant' group by turn_id having count(*) > 1`;
    expect(twice).toHaveLength(0);
    // The API's own connection comes back on its reconnect schedule, which the workers' do not set.
    await eventually(async () => ((await admin.getReadiness()).status === 200 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'the API to see Redis again',
    });
  });

  it('lets an API start while Redis is down, and enqueues directly once Redis is up', async () => {
    await redis.kill();
    const late = await startService('api', env);
    processes.push(late);
    const client = new ChatqClient({ baseUrl: late.url, token: ADMIN_TOKEN });
    const during = await bounded(startChat(client, 'before Redis'));
    expect(during.turn.status).toBe('queued');

    await redis.start();
    await eventually(async () => ((await client.getReadiness()).status === 200 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'the late API to see Redis',
    });
    // The turn sent while Redis was away needed the outbox relay.
    await turnReaches(client, during.chat.id, during.turn.id, ['completed'], 20_000);
    const [sentDuring] = await db.sql<{ relayed: boolean }[]>`
      select relayed_at is not null as relayed from turns where id = ${during.turn.id}`;
    expect(sentDuring!.relayed).toBe(true);

    // With no worker running there is no relay either: a job in the queue as soon as the send has
    // answered is the late API's own enqueue, however slowly the machine runs.
    await Promise.all(processes.filter((p) => p.kind === 'worker').map((p) => p.stop()));
    const after = await startChat(client, 'after Redis');
    const queue = openTurnQueue(env.QUEUE_PREFIX!, redis.url);
    try {
      expect(await queue.getJob(turnJobId(after.turn.id))).toBeDefined();
    } finally {
      await queue.close();
    }
    processes.push(await startService('worker', env));
    await turnReaches(client, after.chat.id, after.turn.id, ['completed'], 20_000);
  });

  it('re-runs a turn whose job Redis lost while its worker died with it', async () => {
    const model = await mockModel(admin, 2_000);
    // The doomed worker must be the one that claims the turn.
    await Promise.all(processes.filter((p) => p.kind === 'worker').map((p) => p.stop()));
    const doomed = await startService('worker', env);
    processes.push(doomed);
    const { chat, turn } = await startChat(admin, 'orphan', model);
    await turnReaches(admin, chat.id, turn.id, ['running']);

    doomed.kill('SIGKILL');
    await doomed.exited;
    await redis.kill();
    redis.forget();
    await redis.start();
    processes.push(await startService('worker', env));

    const history = await eventually(
      async () => {
        const res = await admin.listMessages({ params: { chat_id: chat.id } });
        return res.body.data.length === 2 ? res.body.data : undefined;
      },
      { timeoutMs: 20_000, what: 'the orphaned turn to be answered' },
    );
    expect(history.map((m) => m.role)).toEqual(['user', 'assistant']);
  });
});
