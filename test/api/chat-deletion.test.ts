import { ChatEventLog } from '@chatq/chat-core';
import { createRedis, type RedisClient, SecretBox } from '@chatq/platform';
import type { ChatqClient } from '@chatq/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { refusal } from '../harness/refusal.ts';
import { startStack, TEST_SECRET_KEY, type TestStack } from '../harness/stack.ts';

/*
 * Deleting a chat deletes what quotes it: the chat's event log in Redis, and the responses
 * recorded for idempotent requests that created or changed it. No worker runs, so the first turn
 * stays queued and its events stay in the log until the deletion.
 */
describe('deleting a chat', () => {
  let stack: TestStack;
  let alice: ChatqClient;
  let redis: RedisClient;
  let log: ChatEventLog;
  const key = (k: string) => ({ 'idempotency-key': k });

  const newChat = (body: { title?: string; content?: string }, k?: string) =>
    alice.createChat({ body, headers: k === undefined ? undefined : key(k) });

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    alice = await stack.memberClient('alice');
    redis = createRedis(inject('redisUrl'), 'consumer');
    log = new ChatEventLog(redis, { prefix: stack.prefix, maxLen: 1_000, ttlSeconds: 600 });
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.close();
  });

  it('deletes its event log, and a late worker append is fenced instead of re-creating it', async () => {
    const created = await newChat({ content: 'private words' });
    const chatId = created.body.chat.id;
    const stream = log.chatKey(chatId);
    expect(await log.range(stream, '0', 100)).not.toHaveLength(0);

    expect((await alice.deleteChat({ params: { chat_id: chatId } })).status).toBe(204);
    expect(await redis.exists(stream, `${stream}:text`)).toBe(0);
    // What stays, until the log's TTL, is the fence alone.
    expect(Object.keys(await redis.hgetall(`${stream}:live`))).toEqual(['min_gen']);

    const owner = (await alice.getMe()).body.user.id;
    const turn = { id: created.body.turn!.id, generation: created.body.turn!.generation };
    expect(await log.turn('delta', chatId, owner, turn, [], 'late')).toBe('fenced');
    expect(await redis.exists(stream, `${stream}:text`)).toBe(0);
  });

  it('erases the responses recorded for requests about it: replaying their keys answers 404', async () => {
    const created = await newChat({ content: 'first secret' }, 'create-1');
    const chatId = created.body.chat.id;
    const params = { chat_id: chatId };
    const send = () => alice.sendMessage({ params, body: { content: 'second secret' }, headers: key('send-1') });
    const rename = () => alice.updateChat({ params, body: { title: 'third secret' }, headers: key('rename-1') });
    const sent = await send();
    expect(sent.status).toBe(202);
    const renamed = await rename();
    expect(renamed.status).toBe(200);
    const other = await newChat({ title: 'kept' }, 'other-1');
    expect((await newChat({ content: 'first secret' }, 'create-1')).status).toBe(201);

    expect((await alice.deleteChat({ params })).status).toBe(204);

    for (const [replayed, k] of [
      [() => newChat({ content: 'first secret' }, 'create-1'), 'create-1'],
      [send, 'send-1'],
    ] as const) {
      const replay = await refusal(replayed());
      expect(replay.status, k).toBe(404);
      expect(replay.body).toEqual({ message: 'Chat not found.' });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    }
    expect((await refusal(rename())).status).toBe(404);
    // The key still knows its request: reusing it for another is refused as before.
    expect((await refusal(newChat({ title: 'else' }, 'create-1'))).status).toBe(422);
    // A request about another chat keeps its response.
    const kept = await newChat({ title: 'kept' }, 'other-1');
    expect(kept.body).toEqual(other.body);

    const bodies = await stack.sql<{ body: Buffer }[]>`select body from idempotency_keys`;
    const opened = bodies.map((r) => new SecretBox(Buffer.from(TEST_SECRET_KEY, 'hex')).open(r.body)).join('\n');
    expect(opened).not.toMatch(/first secret|second secret|third secret/);
  });

  it('leaves other users’ records alone, and answers 404 for a chat that is not theirs', async () => {
    const bob = await stack.memberClient('bob');
    const bobsChat = () => bob.createChat({ body: { title: 'bob’s' }, headers: key('bob-1') });
    const bobs = await bobsChat();
    expect((await refusal(alice.deleteChat({ params: { chat_id: bobs.body.chat.id } }))).status).toBe(404);
    expect((await bobsChat()).body).toEqual(bobs.body);
  });
});
