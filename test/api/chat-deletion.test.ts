import { ChatEventLog } from '@chatq/chat-core';
import { createRedis, type RedisClient, SecretBox } from '@chatq/platform';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApiClient } from '../harness/http.ts';
import { startStack, TEST_SECRET_KEY, type TestStack } from '../harness/stack.ts';

/*
 * Deleting a chat deletes what quotes it: the chat's event log in Redis, and the responses
 * recorded for idempotent requests that created or changed it. No worker runs, so the first turn
 * stays queued and its events stay in the log until the deletion.
 */
describe('deleting a chat', () => {
  let stack: TestStack;
  let alice: ApiClient;
  let redis: RedisClient;
  let log: ChatEventLog;
  const key = (k: string) => ({ 'idempotency-key': k });

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    alice = await stack.member('alice');
    redis = createRedis(inject('redisUrl'), 'consumer');
    log = new ChatEventLog(redis, { prefix: stack.prefix, maxLen: 1_000, ttlSeconds: 600 });
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.close();
  });

  it('deletes its event log, and a late worker append is fenced instead of re-creating it', async () => {
    const created = await alice.post('/api/v1/chats', { content: 'private words' });
    const chatId = created.body.chat.id;
    const stream = log.chatKey(chatId);
    expect(await log.range(stream, '0', 100)).not.toHaveLength(0);

    expect((await alice.delete(`/api/v1/chats/${chatId}`)).status).toBe(204);
    expect(await redis.exists(stream, `${stream}:text`)).toBe(0);
    // What stays, until the log's TTL, is the fence alone.
    expect(Object.keys(await redis.hgetall(`${stream}:live`))).toEqual(['min_gen']);

    const owner = (await alice.get('/api/v1/users/me')).body.user.id;
    const turn = { id: created.body.turn.id, generation: created.body.turn.generation };
    expect(await log.turn('delta', chatId, owner, turn, [], 'late')).toBe('fenced');
    expect(await redis.exists(stream, `${stream}:text`)).toBe(0);
  });

  it('erases the responses recorded for requests about it: replaying their keys answers 404', async () => {
    const created = await alice.post('/api/v1/chats', { content: 'first secret' }, key('create-1'));
    const chatId = created.body.chat.id;
    const sent = await alice.post(`/api/v1/chats/${chatId}/messages`, { content: 'second secret' }, key('send-1'));
    expect(sent.status).toBe(202);
    const renamed = await alice.patch(`/api/v1/chats/${chatId}`, { title: 'third secret' }, key('rename-1'));
    expect(renamed.status).toBe(200);
    const other = await alice.post('/api/v1/chats', { title: 'kept' }, key('other-1'));
    expect((await alice.post('/api/v1/chats', { content: 'first secret' }, key('create-1'))).status).toBe(201);

    expect((await alice.delete(`/api/v1/chats/${chatId}`)).status).toBe(204);

    for (const [path, body, k] of [
      ['/api/v1/chats', { content: 'first secret' }, 'create-1'],
      [`/api/v1/chats/${chatId}/messages`, { content: 'second secret' }, 'send-1'],
    ] as const) {
      const replay = await alice.post(path, body, key(k));
      expect(replay.status, k).toBe(404);
      expect(replay.body).toEqual({ message: 'Chat not found.' });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    }
    const rename = await alice.patch(`/api/v1/chats/${chatId}`, { title: 'third secret' }, key('rename-1'));
    expect(rename.status).toBe(404);
    // The key still knows its request: reusing it for another is refused as before.
    expect((await alice.post('/api/v1/chats', { title: 'else' }, key('create-1'))).status).toBe(422);
    // A request about another chat keeps its response.
    const kept = await alice.post('/api/v1/chats', { title: 'kept' }, key('other-1'));
    expect(kept.body).toEqual(other.body);

    const bodies = await stack.sql<{ body: Buffer }[]>`select body from idempotency_keys`;
    const opened = bodies.map((r) => new SecretBox(Buffer.from(TEST_SECRET_KEY, 'hex')).open(r.body)).join('\n');
    expect(opened).not.toMatch(/first secret|second secret|third secret/);
  });

  it('leaves other users’ records alone, and answers 404 for a chat that is not theirs', async () => {
    const bob = await stack.member('bob');
    const bobs = await bob.post('/api/v1/chats', { title: 'bob’s' }, key('bob-1'));
    expect((await alice.delete(`/api/v1/chats/${bobs.body.chat.id}`)).status).toBe(404);
    expect((await bob.post('/api/v1/chats', { title: 'bob’s' }, key('bob-1'))).body).toEqual(bobs.body);
  });
});
