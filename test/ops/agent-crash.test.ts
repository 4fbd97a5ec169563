import { ChatqClient } from '@chatq/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeWebhook, startFakeWebhook } from '../fakes/webhook.ts';
import { turnReaches } from '../harness/chats.ts';
import { createTestDatabase, type TestDatabase, uniqueName } from '../harness/db.ts';
import { createMockModel } from '../harness/models.ts';
import { type ServiceProcess, startService } from '../harness/processes.ts';
import { ADMIN_TOKEN, eventually, testEnv } from '../harness/stack.ts';

/** Workers that notice a dead peer within about two seconds. */
const FAST_RECOVERY = { WORKER_LOCK_DURATION_MS: '1000', WORKER_STALLED_INTERVAL_MS: '1000' };

describe('a worker process killed in the middle of a tool turn', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let api: ServiceProcess;
  let admin: ChatqClient;
  let hook: FakeWebhook;
  let n = 0;
  const workers: ServiceProcess[] = [];

  const startWorker = async () => {
    const worker = await startService('worker', { ...env, ...FAST_RECOVERY });
    workers.push(worker);
    return worker;
  };

  /** A chat whose (slow) mock model calls a webhook tool once; every step takes `latencyMs`. */
  async function toolTurn(latencyMs: number) {
    const name = `lookup_${++n}`;
    const tool = await admin.createTool({
      body: { name, description: 'Looks up.', input_schema: { type: 'object' }, kind: 'webhook', url: hook.url },
    });
    const model = await createMockModel(admin, `crash-${n}`, {
      options: { latency_ms: latencyMs, tool_calls: [{ name, input: { q: 'x' } }] },
    });
    const { body } = await admin.createChat({
      body: { content: 'look it up', model_config_id: model, tool_ids: [tool.body.tool.id] },
    });
    return { name, chatId: body.chat.id, turnId: body.turn!.id };
  }

  const toolMessages = async (turnId: string) =>
    (await db.sql`select count(*)::int as n from messages where turn_id = ${turnId} and role = 'tool'`)[0]!.n as number;
  const callsOf = (turnId: string) => hook.received.filter((r) => r.body.turn_id === turnId);

  beforeAll(async () => {
    hook = await startFakeWebhook();
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
    await hook?.close();
  });

  it('after the result was stored: another worker goes on from the next step, the webhook saw the call once', async () => {
    hook.answer(() => ({ json: { found: 1 } }));
    const doomed = await startWorker();
    const { chatId, turnId, name } = await toolTurn(1_500);
    // The result is stored; the second step (1.5 s of mock latency) is in flight.
    await eventually(async () => ((await toolMessages(turnId)) === 1 ? true : undefined), {
      what: 'the tool result to be stored',
    });
    doomed.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');
    const [killed] = await db.sql`select status, steps from turns where id = ${turnId}`;
    expect(killed).toEqual({ status: 'running', steps: 1 });
    await startWorker();

    const done = await turnReaches(admin, chatId, turnId, ['completed', 'failed'], 20_000);
    expect(done).toMatchObject({ status: 'completed', steps: 2 });
    expect(callsOf(turnId)).toHaveLength(1);
    expect(await toolMessages(turnId)).toBe(1);
    const messages = (await admin.listMessages({ params: { chat_id: chatId }, query: {} })).body.data;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(messages[3]!.content).toContain(`${name} returned {"found":1}`);
  });

  it('before the result was stored: the call is made again with the same Idempotency-Key, and stored once', async () => {
    // The worker dies while the webhook holds its call: the reply can never be stored.
    hook.received.length = 0;
    const doomed = await startWorker();
    hook.answer((_req, index) => {
      if (index > 0) return { json: { found: 2 } };
      doomed.kill('SIGKILL');
      return { hang: true };
    });
    const { chatId, turnId } = await toolTurn(0);
    expect((await doomed.exited).signal).toBe('SIGKILL');
    await startWorker();

    expect(await turnReaches(admin, chatId, turnId, ['completed', 'failed'], 20_000)).toMatchObject({
      status: 'completed',
    });
    const calls = callsOf(turnId);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.headers['idempotency-key']).toBe(calls[0]!.headers['idempotency-key']);
    expect(calls[1]!.body).toEqual(calls[0]!.body);
    expect(await toolMessages(turnId)).toBe(1);
  });
});
