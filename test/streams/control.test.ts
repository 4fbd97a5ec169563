import { ChatqClient } from '@chatq/client';
import type { Message } from '@chatq/contracts';
import { mockReplyText } from '@chatq/worker/llm/mock.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, uniqueName } from '../harness/db.ts';
import { type ServiceProcess, startService } from '../harness/processes.ts';
import { finishedTurnJob, openTurnQueue, type TestTurnQueue } from '../harness/queue.ts';
import { refusal } from '../harness/refusal.ts';
import { SseClient } from '../harness/sse.ts';
import { ADMIN_TOKEN, testEnv } from '../harness/stack.ts';

/*
 * Stopping turns from the API while worker processes run them. The slow mock would take 5 s to
 * reply, so a job that ends soon after the stop can only have been aborted.
 */

const SLOW_MS = 5_000;
/** The promise: the provider call stops within a second of the request. */
const STOP_WITHIN_MS = 1_000;

let db: TestDatabase;
let api: ServiceProcess;
let workers: ServiceProcess[];
let client: ChatqClient;
let queue: TestTurnQueue;
let slowModel: string;
const opened: SseClient[] = [];

async function startSlowTurn(content: string) {
  const chat = await client.createChat({ body: { model_config_id: slowModel } });
  const chatId = chat.body.chat.id;
  const events = await SseClient.open(`${api.url}/api/v1/chats/${chatId}/events`, ADMIN_TOKEN);
  opened.push(events);
  const sent = await client.sendMessage({ params: { chat_id: chatId }, body: { content } });
  expect(sent.status).toBe(201);
  if (sent.status !== 201) throw new Error('the first send of an idle chat starts a turn');
  await events.until((all) => all.some((e) => e.event === 'message.delta'), 'the reply to start streaming');
  return { chatId, turnId: sent.body.turn.id, message: sent.body.message, events };
}

beforeAll(async () => {
  db = await createTestDatabase();
  const prefix = uniqueName('q');
  // No outbox relay: turns must reach the queue straight from the API (and the workers).
  const env = testEnv(db, prefix, { RELAY_AFTER_MS: '600000' });
  api = await startService('api', env);
  // At info, a worker says which turn it was told to stop.
  workers = await Promise.all([1, 2].map(() => startService('worker', { ...env, LOG_LEVEL: 'info' })));
  client = new ChatqClient({ baseUrl: api.url, token: ADMIN_TOKEN });
  queue = openTurnQueue(prefix);
  const providers = await client.listProviders();
  const created = await client.createModelConfig({
    body: { provider_id: providers.body.data[0]!.id, model: 'slow-mock', options: { latency_ms: SLOW_MS } },
  });
  slowModel = created.body.model_config.id;
});

afterEach(() => {
  opened.splice(0).forEach((c) => c.close());
});

afterAll(async () => {
  await queue?.close();
  await Promise.all([api?.stop(), ...(workers ?? []).map((w) => w.stop())]);
  await db?.drop();
});

describe('interrupt', () => {
  it('stops the turn on whichever worker process runs it and keeps the partial reply', async () => {
    const { chatId, turnId, message, events } = await startSlowTurn('tell me a long story');
    const asked = Date.now();
    const res = await client.interruptChat({ params: { chat_id: chatId } });
    expect(res.status).toBe(200);
    expect(res.body.chat).toMatchObject({ id: chatId, status: 'idle' });

    const job = await finishedTurnJob(queue, turnId);
    expect(job.returnvalue).toEqual({ outcome: 'interrupted' });
    expect(job.finishedOn! - asked).toBeLessThan(STOP_WITHIN_MS);
    expect(workers.filter((w) => w.output.includes('"stopping turn"'))).toHaveLength(1);

    await events.until((all) => all.some((e) => e.event === 'message.completed'), 'the stream to end the reply');
    const streamed = events
      .of('message.delta')
      .map((e) => e.data.text)
      .join('');
    const messages = await client.listMessages({ params: { chat_id: chatId } });
    const [user, partial] = messages.body.data as [Message, Message];
    expect(user.id).toBe(message.id);
    expect(partial).toMatchObject({ role: 'assistant', interrupted: true, content: streamed });
    const full = mockReplyText('slow-mock', [{ role: 'user', content: 'tell me a long story' }]);
    expect(full.startsWith(partial.content)).toBe(true);
    expect(partial.content.length).toBeLessThan(full.length);
    expect(events.of('message.completed').at(-1)!.data).toEqual({
      turn_id: turnId,
      message_id: partial.id,
      interrupted: true,
    });

    const turn = await client.getTurn({ params: { chat_id: chatId, turn_id: turnId } });
    expect(turn.body.turn.status).toBe('cancelled');
    expect((await client.getChat({ params: { chat_id: chatId } })).body.chat.status).toBe('idle');
  });

  it('answers 409 when nothing is running', async () => {
    const chat = await client.createChat({ body: {} });
    const res = await refusal(client.interruptChat({ params: { chat_id: chat.body.chat.id } }));
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ message: 'Chat is not in an interruptible state.' });
  });
});

describe('edit during a slow turn', () => {
  it('aborts the running provider call and runs the edited message instead', async () => {
    const { chatId, turnId, message, events } = await startSlowTurn('first version');
    const asked = Date.now();
    const defaultModel = (await client.listModelConfigs()).body.data.find((m) => m.is_default)!.id;
    const edited = await client.editMessage({
      params: { chat_id: chatId, message_id: message.id },
      body: { content: 'second version', model_config_id: defaultModel },
    });
    expect(edited.status).toBe(200);

    const job = await finishedTurnJob(queue, turnId);
    expect(job.returnvalue).toEqual({ outcome: 'superseded' });
    expect(job.finishedOn! - asked).toBeLessThan(STOP_WITHIN_MS);

    const newTurn = edited.body.turn.id;
    await events.until(
      (all) =>
        all.some((e) => e.event === 'turn.status' && e.data.turn_id === newTurn && e.data.status === 'completed'),
      'the edited turn to complete',
    );
    expect(
      events
        .of('turn.status')
        .filter((e) => e.data.turn_id === turnId)
        .map((e) => e.data.status),
    ).toEqual(['queued', 'running', 'superseded']);
    const messages = await client.listMessages({ params: { chat_id: chatId } });
    expect(messages.body.data.map((m) => [m.role, m.content.includes('second version')])).toEqual([
      ['user', true],
      ['assistant', true],
    ]);
    expect((await client.getTurn({ params: { chat_id: chatId, turn_id: turnId } })).body.turn.status).toBe(
      'superseded',
    );
  });
});
