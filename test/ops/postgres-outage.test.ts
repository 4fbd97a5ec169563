import { turnJobId } from '@chatq/contracts';
import { withTimeout } from '@chatq/platform';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ChatqClient } from '@chatq/client';
import { startChat, turnReaches } from '../harness/chats.ts';
import { uniqueName } from '../harness/db.ts';
import { refusal } from '../harness/refusal.ts';
import { mockModel } from '../harness/models.ts';
import { PrivatePostgres } from '../harness/private-servers.ts';
import { type ServiceProcess, startService } from '../harness/processes.ts';
import { openTurnQueue } from '../harness/queue.ts';
import { ADMIN_TOKEN, eventually, TEST_SECRET_KEY } from '../harness/stack.ts';

/** While Postgres is down a request must fail fast, not wait out connect timeouts. */
const BOUND_MS = 2_000;

describe('Postgres restarted under a running API and worker', () => {
  let pg: PrivatePostgres;
  const prefix = uniqueName('q');
  let admin: ChatqClient;
  let worker: ServiceProcess;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    pg = await PrivatePostgres.start();
    const env = {
      DATABASE_URL: pg.url(),
      REDIS_URL: inject('redisUrl'),
      QUEUE_PREFIX: prefix,
      CHATQ_SECRET_KEY: TEST_SECRET_KEY,
      CHATQ_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      RELAY_INTERVAL_MS: '200',
      RELAY_AFTER_MS: '500',
    };
    const api = await startService('api', env);
    // At warn, the worker says when it could not save a reply for want of a database.
    worker = await startService('worker', { ...env, LOG_LEVEL: 'warn' });
    processes.push(api, worker);
    admin = new ChatqClient({ baseUrl: api.url, token: ADMIN_TOKEN });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await pg?.close();
  });

  const bounded = <T>(request: Promise<T>): Promise<T> => withTimeout(request, BOUND_MS, 'request during the outage');

  it('answers 503 "Database unavailable." while it is down, then recovers and finishes the in-flight turn', async () => {
    const model = await mockModel(admin, 1_000);
    const idle = (await admin.createChat({ body: { title: 'idle' } })).body.chat;
    const { chat, turn } = await startChat(admin, 'in flight', model);
    await turnReaches(admin, chat.id, turn.id, ['running']);

    await pg.stop();
    for (const request of [
      () => admin.listChats(),
      () => admin.sendMessage({ params: { chat_id: idle.id }, body: { content: 'while down' } }),
      () => admin.as('cq_some_token_nobody_has_seen_before_0000').listChats(),
    ]) {
      const res = await bounded(refusal(request()));
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ message: 'Database unavailable.' });
    }
    const readiness = await bounded(admin.getReadiness());
    expect(readiness.status).toBe(503);
    expect(readiness.body.checks.postgres).toBe('down');
    const workerReadiness = await bounded(fetch(`${worker.url}/readyz`));
    expect(workerReadiness.status).toBe(503);
    expect(((await workerReadiness.json()) as any).checks).toMatchObject({ postgres: 'down', redis: 'ok' });
    // The turn's reply comes back while there is nowhere to write it: the worker puts the job back.
    await worker.printed('"database unavailable; turn will be retried"');

    await pg.start();
    const sent = await eventually(
      async () => {
        const res = await admin
          .sendMessage({ params: { chat_id: idle.id }, body: { content: 'after the restart' } })
          .catch(() => undefined);
        return res?.status === 201 ? res : undefined;
      },
      { what: 'the API to reconnect' },
    );
    expect(sent.body.message.content).toBe('after the restart');

    const done = await turnReaches(admin, chat.id, turn.id, ['completed'], 20_000);
    expect(done.status).toBe('completed');
    const history = (await admin.listMessages({ params: { chat_id: chat.id } })).body.data;
    expect(history.map((m) => m.role)).toEqual(['user', 'assistant']);
    // The outage cost the turn no retry (BullMQ counts the finishing attempt too, so 1 is none), so
    // however long Postgres is away, the turn waits for it instead of running out of attempts.
    const queue = openTurnQueue(prefix);
    try {
      expect((await queue.getJob(turnJobId(turn.id)))?.attemptsMade).toBe(1);
    } finally {
      await queue.close();
    }
    await turnReaches(admin, idle.id, sent.body.turn.id, ['completed']);
    expect((await fetch(`${worker.url}/readyz`)).status).toBe(200);
  });
});
