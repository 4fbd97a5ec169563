import type { ChatEvent } from '@chatq/contracts';
import { ChatEventLog, compareEventIds } from '@chatq/chat-core';
import { createRedis } from '@chatq/platform';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueName } from '../harness/db.ts';

let redis: ReturnType<typeof createRedis>;
let log: ChatEventLog;

const status = (chatId: string): ChatEvent => ({
  type: 'chat.status',
  data: { chat_id: chatId, status: 'running', last_error: null },
});

function chat() {
  return { chatId: randomUUID(), owner: randomUUID(), turn: { id: randomUUID(), generation: 1 } };
}

beforeAll(() => {
  redis = createRedis(inject('redisUrl'), 'consumer');
  log = new ChatEventLog(redis, { prefix: uniqueName('ev'), maxLen: 100, ttlSeconds: 60 });
});

afterAll(async () => {
  const keys = await redis.keys(`${log.options.prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('chat event log', () => {
  it('tracks the live reply so a joiner gets exactly the text up to the newest id', async () => {
    const { chatId, owner, turn } = chat();
    await log.turn('start', chatId, owner, turn, [status(chatId)]);
    await log.turn(
      'delta',
      chatId,
      owner,
      turn,
      [{ type: 'message.delta', data: { turn_id: turn.id, text: 'Hel' } }],
      'Hel',
    );
    const [last] = (await log.turn(
      'delta',
      chatId,
      owner,
      turn,
      [{ type: 'message.delta', data: { turn_id: turn.id, text: 'lo' } }],
      'lo',
    )) as string[];

    expect(await log.position(log.chatKey(chatId))).toEqual({
      lastId: last,
      liveTurnId: turn.id,
      liveText: 'Hello',
      trimmedBefore: null,
    });
    await log.turn('end', chatId, owner, turn, []);
    expect(await log.position(log.chatKey(chatId))).toMatchObject({ liveTurnId: null, liveText: '' });
  });

  it('refuses appends from turns older than the fence, which tells their worker to stop', async () => {
    const { chatId, owner, turn } = chat();
    await log.turn('start', chatId, owner, turn, []);
    await log.record(chatId, owner, [], { minGeneration: 2 });
    expect(await log.turn('delta', chatId, owner, turn, [], 'late')).toBe('fenced');
    expect(await log.position(log.chatKey(chatId))).toMatchObject({ liveTurnId: null, liveText: '' });
    expect(await log.turn('start', chatId, owner, { id: randomUUID(), generation: 2 }, [])).toEqual([]);
  });

  it('freezes the live reply while an interrupt holds it, until released', async () => {
    const { chatId, owner, turn } = chat();
    await log.turn('start', chatId, owner, turn, []);
    await log.turn('delta', chatId, owner, turn, [], 'partial');
    expect(await log.hold(chatId, 5_000)).toEqual({ turnId: turn.id, text: 'partial' });
    expect(await log.turn('delta', chatId, owner, turn, [], ' more')).toBe('held');
    await log.record(chatId, owner, [], { releaseHold: true });
    expect(await log.turn('delta', chatId, owner, turn, [], ' more')).toEqual([]);
    expect((await log.position(log.chatKey(chatId))).liveText).toBe('partial more');
  });

  it("copies chat.status events to the owner's log, and only those", async () => {
    const { chatId, owner } = chat();
    await log.record(chatId, owner, [
      { type: 'message.unqueued', data: { chat_id: chatId, id: randomUUID() } },
      status(chatId),
    ]);
    const owned = await log.range(log.ownerKey(owner), '0', 10);
    expect(owned.map((e) => [e.type, JSON.parse(e.data.toString())])).toEqual([['chat.status', status(chatId).data]]);
    expect(await log.range(log.chatKey(chatId), '0', 10)).toHaveLength(2);
  });

  it('keeps the log bounded and says what it trimmed, and lets idle logs expire', async () => {
    const { chatId, owner } = chat();
    const first = await log.record(chatId, owner, [status(chatId)]);
    for (let i = 0; i < 6; i++)
      await log.record(
        chatId,
        owner,
        Array.from({ length: 100 }, () => status(chatId)),
      );
    const key = log.chatKey(chatId);
    expect(await redis.xlen(key)).toBeLessThan(700);
    const { trimmedBefore } = await log.position(key);
    expect(compareEventIds(first[0]!, trimmedBefore!)).toBeLessThan(0);
    expect(await log.range(key, first[0]!, 1)).toEqual([expect.objectContaining({ id: trimmedBefore })]);
    expect(await redis.ttl(key)).toBeGreaterThan(0);
    expect(await redis.ttl(log.ownerKey(owner))).toBeGreaterThan(0);
  });

  it('publishes a stop for the worker running a turn', async () => {
    const { chatId, owner, turn } = chat();
    const subscriber = createRedis(inject('redisUrl'), 'consumer');
    try {
      await subscriber.subscribe(log.controlChannel);
      const received = new Promise<string>((resolve) => subscriber.on('message', (_c, m: string) => resolve(m)));
      await log.record(chatId, owner, [], { abort: { turn_id: turn.id, reason: 'interrupted' } });
      expect(JSON.parse(await received)).toEqual({ turn_id: turn.id, reason: 'interrupted' });
    } finally {
      subscriber.disconnect();
    }
  });
});
