import type { ChatEvent } from '@chatq/contracts';
import { ChatEventLog } from '@chatq/chat-core';
import { createLogger, createRedis } from '@chatq/platform';
import { TurnEventWriter } from '@chatq/worker/events/turn-events.ts';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueName } from '../harness/db.ts';

let redis: ReturnType<typeof createRedis>;
let log: ChatEventLog;

beforeAll(() => {
  redis = createRedis(inject('redisUrl'), 'consumer');
  log = new ChatEventLog(redis, { prefix: uniqueName('tw'), maxLen: 100, ttlSeconds: 60 });
});

afterAll(async () => {
  const keys = await redis.keys(`${log.options.prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const status = (chatId: string, status: 'running' | 'idle'): ChatEvent => ({
  type: 'chat.status',
  data: { chat_id: chatId, status, last_error: null },
});

describe('a turn’s event writer', () => {
  it('streams the first delta at once, folds what arrives meanwhile into later appends, and keeps order', async () => {
    const chatId = randomUUID();
    const turn = { id: randomUUID(), generation: 1 };
    const writer = new TurnEventWriter(
      log,
      { chatId, ownerId: randomUUID(), turn },
      () => {},
      createLogger({ service: 'test', level: 'silent' }),
    );
    writer.start([status(chatId, 'running')]);
    const pieces = ['The ', 'quick ', 'brown ', 'fox ', 'jumps.'];
    for (const piece of pieces) writer.delta(piece);
    await writer.end([status(chatId, 'idle')]);

    const events = await log.range(log.chatKey(chatId), '0', 100);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('chat.status');
    expect(types.at(-1)).toBe('chat.status');
    const deltas = events
      .filter((e) => e.type === 'message.delta')
      .map((e) => JSON.parse(e.data.toString()).text as string);
    expect(deltas.join('')).toBe(pieces.join(''));
    expect(deltas[0]).toBe('The ');
    expect(deltas.length).toBeLessThan(pieces.length);
  });
});
