import { compareEventIds } from '@chatq/chat-core';
import { ChatqClient } from '@chatq/client';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestDatabase, type TestDatabase, uniqueName } from '../harness/db.ts';
import { type ServiceProcess, startService } from '../harness/processes.ts';
import { SseClient, type SseEvent } from '../harness/sse.ts';
import { ADMIN_TOKEN, eventually, testEnv } from '../harness/stack.ts';

/*
 * Two API processes and a worker process on one database and Redis: clients may talk to either
 * replica and must see one consistent, resumable event log.
 */

let db: TestDatabase;
let prefix: string;
let api1: ServiceProcess;
let api2: ServiceProcess;
let worker: ServiceProcess;
let client1: ChatqClient;
let slowModel: string;
const opened: SseClient[] = [];

async function sse(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await SseClient.open(`${baseUrl}${path}`, ADMIN_TOKEN, headers);
  opened.push(client);
  return client;
}

const deltas = (events: SseEvent[]) => events.filter((e) => e.event === 'message.delta');
const completed = (events: SseEvent[]) => events.some((e) => e.event === 'message.completed');

async function slowChat(): Promise<string> {
  const res = await client1.createChat({ body: { model_config_id: slowModel } });
  expect(res.status).toBe(201);
  return res.body.chat.id;
}

async function reply(chatId: string): Promise<string> {
  const messages = await client1.listMessages({ params: { chat_id: chatId } });
  return messages.body.data.at(-1)!.content;
}

beforeAll(async () => {
  db = await createTestDatabase();
  prefix = uniqueName('q');
  // No outbox relay: turns must reach the queue straight from the API (and the workers).
  const env = testEnv(db, prefix, { RELAY_AFTER_MS: '600000' });
  api1 = await startService('api', env);
  api2 = await startService('api', env);
  worker = await startService('worker', env);
  client1 = new ChatqClient({ baseUrl: api1.url, token: ADMIN_TOKEN });
  const providers = await client1.listProviders();
  const created = await client1.createModelConfig({
    body: { provider_id: providers.body.data[0]!.id, model: 'slow-mock', options: { latency_ms: 1_500 } },
  });
  slowModel = created.body.model_config.id;
});

afterEach(() => {
  opened.splice(0).forEach((c) => c.close());
});

afterAll(async () => {
  await Promise.all([api1?.stop(), api2?.stop(), worker?.stop()]);
  await db?.drop();
});

describe('event streams across API replicas', () => {
  it('resumes on another replica with Last-Event-ID: every delta once, in order', async () => {
    const chatId = await slowChat();
    const first = await sse(api1.url, `/api/v1/chats/${chatId}/events`);
    expect(first.status).toBe(200);
    await client1.sendMessage({ params: { chat_id: chatId }, body: { content: 'stream me' } });
    await first.until((events) => deltas(events).length >= 2, 'two deltas on replica 1');
    first.close();
    const seen = [...first.events];

    const second = await sse(api2.url, `/api/v1/chats/${chatId}/events`, { 'last-event-id': seen.at(-1)!.id });
    await second.until(completed, 'the reply to complete on replica 2');

    const all = [...seen, ...second.events];
    const ids = all.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort(compareEventIds)).toEqual(ids);
    const text = deltas(all)
      .map((e) => e.data.text)
      .join('');
    expect(text).toBe(await reply(chatId));
    expect(all.map((e) => e.event)).toEqual(
      expect.arrayContaining(['message.created', 'turn.status', 'chat.status', 'message.completed']),
    );
    expect(all.filter((e) => e.event === 'turn.status').map((e) => e.data.status)).toEqual([
      'queued',
      'running',
      'completed',
    ]);
  });

  it('gives a client joining mid-turn the text so far, then only what follows', async () => {
    const chatId = await slowChat();
    const watcher = await sse(api1.url, `/api/v1/chats/${chatId}/events`);
    await client1.sendMessage({ params: { chat_id: chatId }, body: { content: 'join me late' } });
    await watcher.until((events) => deltas(events).length >= 2, 'two deltas');

    const joiner = await sse(api2.url, `/api/v1/chats/${chatId}/events`);
    await joiner.until(completed, 'the joiner to see the reply complete');
    await watcher.until(completed, 'the watcher to see the reply complete');

    const [snapshot, ...rest] = deltas(joiner.events);
    const covered = deltas(watcher.events).filter((e) => compareEventIds(e.id, snapshot!.id) <= 0);
    expect(covered.length).toBeGreaterThanOrEqual(2);
    expect(snapshot!.data.text).toBe(covered.map((e) => e.data.text).join(''));
    expect(rest.every((e) => compareEventIds(e.id, snapshot!.id) > 0)).toBe(true);
    expect(snapshot!.data.text + rest.map((e) => e.data.text).join('')).toBe(await reply(chatId));
  });

  it('reads every chat of a replica through one Redis connection, released when clients leave', async () => {
    const chats = [await slowChat(), await slowChat()];
    const clients = await Promise.all(
      [chats[0], chats[0], chats[0], chats[1], chats[1]].map((id) => sse(api1.url, `/api/v1/chats/${id}/events`)),
    );
    const redis = new Redis(inject('redisUrl'));
    try {
      const readers = async () =>
        String(await redis.client('LIST'))
          .split('\n')
          .filter((line: string) => line.includes(` name=${prefix}:events `));
      await eventually(async () => ((await readers()).length === 1 ? true : undefined), { what: 'one reader' });
      await client1.sendMessage({ params: { chat_id: chats[1]! }, body: { content: 'one loop' } });
      await Promise.all(clients.slice(3).map((c) => c.until(completed, 'reply on a shared loop')));
      expect((await readers()).length).toBe(1);

      clients.forEach((c) => c.close());
      await eventually(async () => ((await readers()).length === 0 ? true : undefined), {
        what: 'the reader connection to close once no client listens',
      });
    } finally {
      redis.disconnect();
    }
  });
});
