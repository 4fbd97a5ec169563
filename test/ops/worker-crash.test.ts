import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChatqClient } from '@chatq/client';
import { assistantReplies as replies, startChat, turnReaches } from '../harness/chats.ts';
import { createTestDatabase, type TestDatabase, uniqueName } from '../harness/db.ts';
import { mockModel } from '../harness/models.ts';
import { type ServiceProcess, startService } from '../harness/processes.ts';
import { ADMIN_TOKEN, eventually, testEnv } from '../harness/stack.ts';

/** Workers that notice a dead peer within about two seconds. */
const FAST_RECOVERY = { WORKER_LOCK_DURATION_MS: '1000', WORKER_STALLED_INTERVAL_MS: '1000' };

describe('worker processes that crash or are stopped', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let api: ServiceProcess;
  let admin: ChatqClient;
  const workers: ServiceProcess[] = [];

  const startWorker = async (extra: Record<string, string> = {}) => {
    const worker = await startService('worker', { ...env, ...FAST_RECOVERY, ...extra });
    workers.push(worker);
    return worker;
  };

  const assistantReplies = (chatId: string) => replies(admin, chatId);

  beforeAll(async () => {
    db = await createTestDatabase();
    env = testEnv(db, uniqueName('q'));
    api = await startService('api', env);
    admin = new ChatqClient({ baseUrl: api.url, token: ADMIN_TOKEN });
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
  });

  it('picks a SIGKILLed worker’s turn up again and replies exactly once', async () => {
    const model = await mockModel(admin, 1_500);
    const doomed = await startWorker();
    const { chat, turn } = await startChat(admin, 'survive this', model);
    await turnReaches(admin, chat.id, turn.id, ['running']);

    doomed.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');
    await startWorker();

    const done = await turnReaches(admin, chat.id, turn.id, ['completed']);
    expect(done.status).toBe('completed');
    expect(await assistantReplies(chat.id)).toHaveLength(1);
    const [row] = await db.sql`select attempts from turns where id = ${turn.id}`;
    expect(row!.attempts).toBe(2);
  });

  it('fails a turn that keeps killing its workers after WORKER_MAX_TURN_ATTEMPTS, with a clear last_error', async () => {
    const model = await mockModel(admin, 60_000);
    const limits = { WORKER_MAX_TURN_ATTEMPTS: '2' };
    const { chat, turn } = await startChat(admin, 'poison', model);

    for (const attempt of [1, 2]) {
      const worker = await startWorker(limits);
      await eventually(
        async () => {
          const [row] = await db.sql`select attempts from turns where id = ${turn.id}`;
          return row!.attempts === attempt ? true : undefined;
        },
        { what: `claim number ${attempt}` },
      );
      worker.kill('SIGKILL');
      await worker.exited;
    }
    await startWorker(limits);

    const failed = await turnReaches(admin, chat.id, turn.id, ['failed']);
    expect(failed.error).toMatch(/abandoned after 2 attempts/);
    const after = (await admin.getChat({ params: { chat_id: chat.id } })).body.chat;
    expect(after.status).toBe('error');
    expect(after.last_error).toMatch(/abandoned after 2 attempts/);
    expect(await assistantReplies(chat.id)).toHaveLength(0);
  });

  it('finishes in-flight turns on SIGTERM and exits 0, leaving queued ones to other workers', async () => {
    const model = await mockModel(admin, 1_000);
    const draining = await startWorker({ WORKER_CONCURRENCY: '3', SHUTDOWN_GRACE_MS: '10000' });
    const chats = await Promise.all([1, 2, 3].map((i) => startChat(admin, `in flight ${i}`, model)));
    await Promise.all(chats.map(({ chat, turn }) => turnReaches(admin, chat.id, turn.id, ['running'])));

    draining.kill('SIGTERM');
    const later = await startChat(admin, 'queued during the drain', model);
    expect(await draining.exited).toEqual({ code: 0, signal: null });
    for (const { chat, turn } of chats) {
      expect((await turnReaches(admin, chat.id, turn.id, ['completed'], 1_000)).status).toBe('completed');
      expect(await assistantReplies(chat.id)).toHaveLength(1);
    }
    const [row] = await db.sql`select status from turns where id = ${later.turn.id}`;
    expect(row!.status).toBe('queued');

    await startWorker();
    await turnReaches(admin, later.chat.id, later.turn.id, ['completed']);
    expect(await assistantReplies(later.chat.id)).toHaveLength(1);
  });

  it('hands running turns back to the queue when SIGTERM’s grace period runs out', async () => {
    const model = await mockModel(admin, 3_000);
    // A lock this long would keep the turn from anyone else for 30 s if it were not handed back.
    const slow = await startWorker({ SHUTDOWN_GRACE_MS: '1000', WORKER_LOCK_DURATION_MS: '30000' });
    const { chat, turn } = await startChat(admin, 'too slow', model);
    await turnReaches(admin, chat.id, turn.id, ['running']);

    slow.kill('SIGTERM');
    expect(await slow.exited).toEqual({ code: 0, signal: null });
    await startWorker();

    await turnReaches(admin, chat.id, turn.id, ['completed'], 10_000);
    expect(await assistantReplies(chat.id)).toHaveLength(1);
  });
});
