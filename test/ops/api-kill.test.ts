import { ChatqApiError, ChatqClient } from '@chatq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, uniqueName } from '../harness/db.ts';
import { type ServiceProcess, startService } from '../harness/processes.ts';
import { ADMIN_TOKEN, eventually, testEnv } from '../harness/stack.ts';

describe('the API killed (SIGKILL) in the middle of a request', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    env = testEnv(db, uniqueName('q'));
    processes.push(await startService('api', env));
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await db?.drop();
  });

  it('leaves no part of the change behind, and an idempotent retry completes it exactly once', async () => {
    const api = processes[0]!;
    const admin = new ChatqClient({ baseUrl: api.url, token: ADMIN_TOKEN });
    const chatId = (await admin.createChat({ body: { title: 'killed mid-send' } })).body.chat.id;
    const key = 'send-once-1';
    const send = (client: ChatqClient) =>
      client.sendMessage({
        params: { chat_id: chatId },
        body: { content: 'exactly once' },
        headers: { 'idempotency-key': key },
      });

    // The test holds the chat's row lock, so the send stops inside its transaction, after the
    // Idempotency-Key is taken and before chatq_send_message can write.
    const lock = await db.sql.reserve();
    try {
      await lock`begin`;
      await lock`select 1 from chats where id = ${chatId} for update`;
      const inFlight = send(admin).catch((err: unknown) => err);
      const blocked = await eventually(
        async () => {
          const [row] = await db.sql<{ pid: number }[]>`
            select pid from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock' and query like '%chatq_send_message%'`;
          return row?.pid;
        },
        { what: 'the send to wait on the chat lock' },
      );
      api.kill('SIGKILL');
      await api.exited;
      // The connection dropped: no answer at all, not even a refusal.
      const failure = await inFlight;
      expect(failure).toBeInstanceOf(Error);
      expect(failure).not.toBeInstanceOf(ChatqApiError);
      await lock`commit`;
      // Its backend finds the client gone when it answers, and rolls the transaction back.
      await eventually(
        async () =>
          (await db.sql`select 1 from pg_stat_activity where pid = ${blocked}`).length === 0 ? true : undefined,
        { what: 'the killed request’s backend to end' },
      );
    } finally {
      lock.release();
    }
    expect(await db.sql`select 1 from messages where content = 'exactly once'`).toHaveLength(0);
    expect(await db.sql`select 1 from turns where chat_id = ${chatId}`).toHaveLength(0);
    expect(await db.sql`select 1 from idempotency_keys`).toHaveLength(0);

    const restarted = await startService('api', env);
    processes.push(restarted);
    const client = new ChatqClient({ baseUrl: restarted.url, token: ADMIN_TOKEN });
    const retried = await send(client);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    const again = await send(client);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    if (retried.status !== 201 || again.status !== 201) throw new Error('both sends start the one turn');
    expect(again.body.message.id).toBe(retried.body.message.id);
    expect(await db.sql`select 1 from messages where content = 'exactly once'`).toHaveLength(1);
    expect(await db.sql`select 1 from turns where chat_id = ${chatId}`).toHaveLength(1);
  });
});
