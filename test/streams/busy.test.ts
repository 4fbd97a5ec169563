import { MAX_QUEUED_MESSAGES } from '@chatq/contracts';
import { addTurnJobs } from '@chatq/chat-core';
import type { ChatqClient } from '@chatq/client';
import type { Message } from '@chatq/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { settledChat, startChat } from '../harness/chats.ts';
import { finishedTurnJob, openTurnQueue } from '../harness/queue.ts';
import { refusal } from '../harness/refusal.ts';
import { SseClient } from '../harness/sse.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

let stack: TestStack;
let member: ChatqClient;
let slowModel: string;
let fastModel: string;
const opened: SseClient[] = [];

async function events(chatId: string, query = ''): Promise<SseClient> {
  const client = await SseClient.open(`${stack.baseUrl}/api/v1/chats/${chatId}/events${query}`, member.token);
  opened.push(client);
  return client;
}

async function slowChat(): Promise<string> {
  return (await member.createChat({ body: { model_config_id: slowModel } })).body.chat.id;
}

/** The conversation once the chat has nothing live or queued any more. */
async function settled(chatId: string) {
  await settledChat(member, chatId);
  return (await member.listMessages({ params: { chat_id: chatId } })).body;
}

/** A send the test expects to wait behind the live turn (202). */
function queued<T extends { status: number }>(res: T): Extract<T, { status: 202 }> {
  if (res.status !== 202) throw new Error(`expected the send to be queued (202), got ${res.status}`);
  return res as Extract<T, { status: 202 }>;
}

const transcript = (data: Message[]) =>
  data.map((m) => `${m.role}:${m.role === 'user' ? m.content : m.interrupted ? 'partial' : 'reply'}`);

beforeAll(async () => {
  // No outbox relay: every turn here, promoted ones included, must reach the queue directly.
  stack = await startStack({ env: { EVENTS_HEARTBEAT_MS: '200', RELAY_AFTER_MS: '600000' } });
  member = await stack.memberClient();
  const providers = await stack.client.listProviders();
  const slow = await stack.client.createModelConfig({
    body: { provider_id: providers.body.data[0]!.id, model: 'slow-mock', options: { latency_ms: 600 } },
  });
  slowModel = slow.body.model_config.id;
  fastModel = (await member.listModelConfigs()).body.data.find((m) => m.is_default)!.id;
});

afterEach(() => {
  opened.splice(0).forEach((c) => c.close());
});

afterAll(() => stack?.close());

describe('busy_behavior: queue (the default)', () => {
  it('queues sends behind the live turn and runs them in order, each keeping its id', async () => {
    const chatId = await slowChat();
    const params = { chat_id: chatId };
    const a = await member.sendMessage({ params, body: { content: 'A' } });
    expect(a.status).toBe(201);
    const b = await member.sendMessage({ params, body: { content: 'B' } });
    const c = await member.sendMessage({ params, body: { content: 'C', model_config_id: fastModel } });
    expect(b.status).toBe(202);
    expect(c.status).toBe(202);
    const [queuedB, queuedC] = [queued(b).body.queued_message, queued(c).body.queued_message];
    expect(queuedB).toMatchObject({ chat_id: chatId, content: 'B', model_config_id: slowModel });
    expect(queuedC).toMatchObject({ content: 'C', model_config_id: fastModel });

    const listed = await member.listMessages({ params });
    expect(listed.body.queued.map((q) => q.content)).toEqual(['B', 'C']);

    const done = await settled(chatId);
    expect(transcript(done.data)).toEqual([
      'user:A',
      'assistant:reply',
      'user:B',
      'assistant:reply',
      'user:C',
      'assistant:reply',
    ]);
    expect(done.data[2]!.id).toBe(queuedB.id);
    expect(done.data[4]!.id).toBe(queuedC.id);
    expect(done.data[5]!.model_config_id).toBe(fastModel);
    expect(done.queued).toEqual([]);
  });

  it(`refuses more than ${MAX_QUEUED_MESSAGES} waiting messages with 429, and deletes queued ones`, async () => {
    const chatId = await slowChat();
    const params = { chat_id: chatId };
    await member.sendMessage({ params, body: { content: 'running' } });
    const waiting: string[] = [];
    for (let i = 0; i < MAX_QUEUED_MESSAGES; i++) {
      const res = await member.sendMessage({ params, body: { content: `q${i}` } });
      expect(res.status).toBe(202);
      waiting.push(queued(res).body.queued_message.id);
    }
    const full = await refusal(member.sendMessage({ params, body: { content: 'one too many' } }));
    expect(full.status).toBe(429);
    expect(full.body).toEqual({ message: 'Message queue is full.' });

    const first = { chat_id: chatId, id: waiting[0]! };
    expect((await member.deleteQueuedMessage({ params: first })).status).toBe(204);
    const again = await refusal(member.deleteQueuedMessage({ params: first }));
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ message: 'Queued message not found.' });
    expect((await member.sendMessage({ params, body: { content: 'fits again' } })).status).toBe(202);
    const listed = await member.listMessages({ params });
    expect(listed.body.queued.map((q) => q.content)).toEqual([
      ...Array.from({ length: MAX_QUEUED_MESSAGES - 1 }, (_, i) => `q${i + 1}`),
      'fits again',
    ]);

    const other = await stack.memberClient();
    expect((await refusal(other.deleteQueuedMessage({ params: { chat_id: chatId, id: waiting[1]! } }))).status).toBe(
      404,
    );
    for (const id of waiting.slice(1)) await member.deleteQueuedMessage({ params: { chat_id: chatId, id } });
  });
});

describe('busy_behavior: interrupt', () => {
  it('interrupts the live turn, keeps its partial reply and runs the new message next', async () => {
    const chatId = await slowChat();
    const params = { chat_id: chatId };
    const stream = await events(chatId);
    await member.sendMessage({ params, body: { content: 'A' } });
    await stream.until((all) => all.some((e) => e.event === 'message.delta'), 'A to start streaming');
    const b = await member.sendMessage({ params, body: { content: 'B', busy_behavior: 'interrupt' } });
    expect(b.status).toBe(201);

    const done = await settled(chatId);
    expect(transcript(done.data)).toEqual(['user:A', 'assistant:partial', 'user:B', 'assistant:reply']);
    expect(done.data[1]!.content.length).toBeGreaterThan(0);
    expect(done.data[3]!.content).toContain('You said: "B"');
  });

  it('lets queued messages run after an interrupt, in order', async () => {
    const chatId = await slowChat();
    const params = { chat_id: chatId };
    await member.sendMessage({ params, body: { content: 'A' } });
    await member.sendMessage({ params, body: { content: 'B' } });
    const interrupted = await member.sendMessage({ params, body: { content: 'C', busy_behavior: 'interrupt' } });
    expect(interrupted.status).toBe(201);
    const stopped = await member.interruptChat({ params });
    expect(stopped.status).toBe(200);
    expect(stopped.body.chat.status).toBe('pending');

    const done = await settled(chatId);
    expect(transcript(done.data).filter((t) => t.startsWith('user'))).toEqual(['user:A', 'user:C', 'user:B']);
    expect(done.data.at(-1)).toMatchObject({ role: 'assistant' });
    expect(done.data.at(-1)?.content).toContain('You said: "B"');
  });

  it('cancels a turn that is still queued without running it', async () => {
    const idle = await startStack({ worker: false });
    try {
      const owner = await idle.memberClient();
      const { chat, turn } = await startChat(owner, 'never answered');
      const stopped = await owner.interruptChat({ params: { chat_id: chat.id } });
      expect(stopped.body.chat.status).toBe('idle');
      const got = await owner.getTurn({ params: { chat_id: chat.id, turn_id: turn.id } });
      expect(got.body.turn.status).toBe('cancelled');

      // However the job reaches a worker (the API's enqueue or the outbox relay), it must not run.
      const queue = openTurnQueue(idle.prefix);
      try {
        await addTurnJobs(queue, [{ turn_id: turn.id, chat_id: chat.id, generation: 1 }]);
        idle.startWorker();
        const job = await finishedTurnJob(queue, turn.id);
        expect(job.returnvalue).toEqual({ outcome: 'finished' });
      } finally {
        await queue.close();
      }
      const [turnRow] = await idle.sql`select attempts from turns where id = ${turn.id}`;
      expect(turnRow!.attempts).toBe(0);
      const messages = await owner.listMessages({ params: { chat_id: chat.id } });
      expect(messages.body.data.map((m) => m.role)).toEqual(['user']);
    } finally {
      await idle.close();
    }
  });
});

describe('event streams', () => {
  it('resumes after ?after= exactly like after Last-Event-ID, the header winning over the query', async () => {
    const chatId = await slowChat();
    const live = await events(chatId);
    await member.sendMessage({
      params: { chat_id: chatId },
      body: { content: 'resume me', model_config_id: fastModel },
    });
    await live.until((all) => all.some((e) => e.event === 'message.completed'), 'the reply');
    await live.until((all) => all.at(-1)?.event === 'chat.status', 'the chat to rest');
    const [, second, third] = live.events;
    const expected = live.events.slice(2).map((e) => e.id);

    const byQuery = await events(chatId, `?after=${second!.id}`);
    const byHeader = await SseClient.open(
      `${stack.baseUrl}/api/v1/chats/${chatId}/events?after=${third!.id}`,
      member.token,
      { 'last-event-id': second!.id },
    );
    opened.push(byHeader);
    for (const client of [byQuery, byHeader]) {
      await client.until((all) => all.length === expected.length, 'the replay');
      expect(client.events.map((e) => e.id)).toEqual(expected);
    }
  });

  it('sends a comment heartbeat', async () => {
    const chatId = await slowChat();
    const stream = await events(chatId);
    await eventually(async () => (stream.comments.includes('ping') ? true : undefined), { what: 'a heartbeat' });
  });

  it("refuses another user's chat with 404 and a bad Last-Event-ID with 400", async () => {
    const chatId = await slowChat();
    const other = await stack.memberClient();
    const stranger = await SseClient.open(`${stack.baseUrl}/api/v1/chats/${chatId}/events`, other.token);
    expect(stranger.status).toBe(404);
    const bad = await SseClient.open(`${stack.baseUrl}/api/v1/chats/${chatId}/events`, member.token, {
      'last-event-id': 'yesterday',
    });
    expect(bad.status).toBe(400);
  });

  it('releases what a client held when it disconnects', async () => {
    const chatId = await slowChat();
    const clients = await Promise.all([events(chatId), events(chatId), events(chatId)]);
    expect(stack.api.app.eventHub.stats()).toEqual({ logs: 1, listeners: 3, reading: true });
    clients.forEach((c) => c.close());
    await eventually(
      async () => {
        const stats = stack.api.app.eventHub.stats();
        return stats.logs === 0 && stats.listeners === 0 && !stats.reading ? true : undefined;
      },
      { what: 'the hub to let go of the log and its read loop' },
    );
  });

  it('ends open streams when the API shuts down, so it can drain', async () => {
    const other = await startStack({ worker: false });
    const owner = await other.memberClient();
    const { chat } = (await owner.createChat({ body: {} })).body;
    const stream = await SseClient.open(`${other.baseUrl}/api/v1/chats/${chat.id}/events`, owner.token);
    const watch = await SseClient.open(`${other.baseUrl}/api/v1/chats/watch`, owner.token);
    expect(other.api.app.eventHub.stats().listeners).toBe(2);
    await other.close();
    await Promise.all([stream.ended, watch.ended]);
    expect(other.api.app.eventHub.stats()).toEqual({ logs: 0, listeners: 0, reading: false });
  });

  it("streams the caller's chats' status changes, and only theirs, on /chats/watch", async () => {
    const watch = await SseClient.open(`${stack.baseUrl}/api/v1/chats/watch`, member.token);
    opened.push(watch);
    const other = await stack.memberClient();
    await other.createChat({ body: { content: 'not yours' } });
    const mine = await member.createChat({ body: { content: 'watch me', model_config_id: fastModel } });
    const chatId = mine.body.chat.id;
    await watch.until(
      (all) => all.some((e) => e.data.chat_id === chatId && e.data.status === 'idle'),
      'the chat to go idle on the watch stream',
    );
    expect(watch.events.every((e) => e.event === 'chat.status' && e.data.chat_id === chatId)).toBe(true);
    expect(watch.events.map((e) => e.data.status)).toEqual(['pending', 'running', 'idle']);
  });
});
