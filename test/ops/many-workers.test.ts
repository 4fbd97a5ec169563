import { ChatqClient } from '@chatq/client';
import { mockReplyText } from '@chatq/worker/llm/mock.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, uniqueName } from '../harness/db.ts';
import { startChat } from '../harness/chats.ts';
import { mockModel } from '../harness/models.ts';
import { type ServiceProcess, startService } from '../harness/processes.ts';
import { ADMIN_TOKEN, eventually, testEnv } from '../harness/stack.ts';

const CHATS = 1_000;
const WORKERS = 3;
const IN_FLIGHT = 32;

/** Runs `task` over `items` with at most `limit` running at once. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

describe(`${WORKERS} worker processes, ${CHATS} chats, edits racing the turns`, () => {
  let db: TestDatabase;
  let admin: ChatqClient;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = testEnv(db, uniqueName('q'), { WORKER_CONCURRENCY: '10' });
    processes.push(
      ...(await Promise.all([
        startService('api', env),
        ...Array.from({ length: WORKERS }, () => startService('worker', env)),
      ])),
    );
    admin = new ChatqClient({ baseUrl: processes[0]!.url, token: ADMIN_TOKEN });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await db?.drop();
  });

  it('ends every chat with its last edit answered once, and never completes a turn twice', async () => {
    const model = await mockModel(admin, 20);
    const [config] = await db.sql<{ model: string }[]>`select model from model_configs where id = ${model}`;
    const modelName = config!.model;
    // The content each chat's live user message must end with: its last accepted edit.
    const expected = new Map<string, string>();

    await pool(
      Array.from({ length: CHATS }, (_, i) => i),
      IN_FLIGHT,
      async (i) => {
        const created = await startChat(admin, `chat ${i}`, model);
        const chatId = created.chat.id;
        let messageId = created.message.id;
        expected.set(chatId, `chat ${i}`);
        // Edit about half the chats, some twice, at random moments of their turn.
        const edits = Math.random() < 0.5 ? 0 : Math.random() < 0.5 ? 1 : 2;
        for (let e = 1; e <= edits; e++) {
          // Jitter, not a wait for anything: it spreads the edits over the 20 ms turns (queued,
          // claimed, streaming, completing) so every stage of a turn meets an edit somewhere.
          await sleep(Math.floor(Math.random() * 40));
          const content = `chat ${i} edit ${e}`;
          const edited = await admin.editMessage({
            params: { chat_id: chatId, message_id: messageId },
            body: { content },
          });
          expect(edited.status).toBe(200);
          messageId = edited.body.message.id;
          expected.set(chatId, content);
        }
      },
    );

    await eventually(
      async () => {
        const [row] = await db.sql`select count(*)::int as n from turns where status in ('queued', 'running')`;
        return row!.n === 0 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'every turn to finish' },
    );

    const live = await db.sql<{ chat_id: string; role: string; content: string }[]>`
      select chat_id, role, content from messages where deleted_at is null order by chat_id, seq`;
    const byChat = new Map<string, { role: string; content: string }[]>();
    for (const { chat_id, role, content } of live)
      byChat.set(chat_id, [...(byChat.get(chat_id) ?? []), { role, content }]);
    expect(byChat.size).toBe(CHATS);
    for (const [chatId, content] of expected) {
      const user = { role: 'user', content };
      expect(byChat.get(chatId)).toEqual([
        user,
        { role: 'assistant', content: mockReplyText(modelName, [user as { role: 'user'; content: string }]) },
      ]);
    }

    const twice = await db.sql`
      select turn_id from messages where role = 'assistant' group by turn_id having count(*) > 1`;
    expect(twice).toEqual([]);
    const fromDeadTurns = await db.sql`
      select m.id from messages m join turns t on t.id = m.turn_id where t.status <> 'completed'`;
    expect(fromDeadTurns).toEqual([]);
    const [counts] = await db.sql<{ completed: number; replies: number; failed: number }[]>`
      select (select count(*)::int from turns where status = 'completed') as completed,
             (select count(*)::int from messages where role = 'assistant') as replies,
             (select count(*)::int from turns where status = 'failed') as failed`;
    expect(counts).toEqual({ completed: counts!.replies, replies: counts!.replies, failed: 0 });

    // Each worker reports the jobs it completed: all took part, and together they completed each turn once.
    const perWorker = await Promise.all(
      processes.slice(1).map(async (w) => {
        const text = await (await fetch(`${w.url}/metrics`)).text();
        return Number(/^chatq_turns_total\{outcome="completed"[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 0);
      }),
    );
    expect(perWorker.every((n) => n > 0)).toBe(true);
    expect(perWorker.reduce((a, b) => a + b, 0)).toBe(counts!.completed);
    const [superseded] = await db.sql<
      { n: number }[]
    >`select count(*)::int as n from turns where status = 'superseded'`;
    expect(superseded!.n).toBeGreaterThan(0);
  });
});
