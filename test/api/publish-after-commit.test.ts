import { ChatsRepository } from '@chatq/api/db/chats.repository.ts';
import { IdempotencyRepository } from '@chatq/api/db/idempotency.repository.ts';
import { chatReplies } from '@chatq/api/http/idempotency.ts';
import { transaction } from '@chatq/api/db/transaction.ts';
import { ChatsService } from '@chatq/api/domain/chats.service.ts';
import { ChatEventPublisher } from '@chatq/api/events/publisher.ts';
import { TurnEnqueuer } from '@chatq/api/queue/turn-enqueuer.ts';
import type { TurnAbort, User } from '@chatq/contracts';
import { ChatEventLog, createTurnQueue } from '@chatq/chat-core';
import { createLogger, createRedis, type RedisClient, SecretBox } from '@chatq/platform';
import type { ChatqClient } from '@chatq/client';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { refusal } from '../harness/refusal.ts';
import { eventually, startStack, TEST_SECRET_KEY, type TestStack } from '../harness/stack.ts';

/*
 * Nobody hears of a change that did not commit: event appends, generation fences, aborts and
 * enqueues wait for the outermost transaction, the Idempotency-Key's included. No worker runs, so
 * a chat's first turn stays queued (live, interruptible) and every job stays in the queue.
 */

let stack: TestStack;
let alice: ChatqClient;
let user: User;
let redis: RedisClient;
let subscriber: RedisClient;
let queue: Queue;
let eventLog: ChatEventLog;
let chats: ChatsService;
/** Everything published on the control channel (aborts, and this file's own markers). */
const control: (TurnAbort | { marker: number })[] = [];
const log = createLogger({ service: 'test', level: 'silent' });

beforeAll(async () => {
  stack = await startStack({ worker: false });
  alice = await stack.memberClient('alice');
  user = (await alice.getMe()).body.user;
  redis = createRedis(inject('redisUrl'), 'consumer');
  queue = createTurnQueue(redis, stack.prefix);
  eventLog = new ChatEventLog(redis, { prefix: stack.prefix, maxLen: 1_000, ttlSeconds: 600 });
  subscriber = createRedis(inject('redisUrl'), 'consumer');
  subscriber.on('message', (_channel: string, message: string) => control.push(JSON.parse(message)));
  await subscriber.subscribe(eventLog.controlChannel);
  chats = new ChatsService({
    sql: stack.sql,
    chats: new ChatsRepository(stack.sql),
    enqueuer: new TurnEnqueuer(queue, 2_000),
    events: new ChatEventPublisher(eventLog, 2_000),
    replies: chatReplies(new IdempotencyRepository(stack.sql), new SecretBox(Buffer.from(TEST_SECRET_KEY, 'hex'))),
  });
});
afterAll(async () => {
  subscriber?.disconnect();
  await queue?.close();
  redis?.disconnect();
  await stack?.close();
});

/** A chat of alice's; with `content`, its first turn is queued and live. */
async function newChat(content?: string): Promise<{ chatId: string; turnId?: string; messageId?: string }> {
  const res = await alice.createChat({ body: content === undefined ? {} : { content } });
  expect(res.status).toBe(201);
  return { chatId: res.body.chat.id, turnId: res.body.turn?.id, messageId: res.body.message?.id };
}

const eventTypes = async (chatId: string) =>
  (await eventLog.range(eventLog.chatKey(chatId), '0', 1_000)).map((e) => e.type);

const jobTurns = async (chatId: string) =>
  (await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active']))
    .filter((j) => j.data.chat_id === chatId)
    .map((j) => j.data.turn_id);

let markers = 0;
/**
 * The aborts published so far. A marker published now arrives after anything published before it
 * (Redis delivers in the order it runs commands), so once it is in, nothing earlier is missing.
 */
async function abortsSoFar(): Promise<TurnAbort[]> {
  const marker = ++markers;
  await redis.publish(eventLog.controlChannel, JSON.stringify({ marker }));
  await eventually(async () => (control.some((m) => 'marker' in m && m.marker === marker) ? true : undefined));
  return control.filter((m): m is TurnAbort => 'turn_id' in m);
}

/** Runs `change` in a transaction that then rolls back. */
async function rolledBack(change: () => Promise<unknown>): Promise<void> {
  await expect(
    transaction(stack.sql, async () => {
      await change();
      throw new Error('rolled back');
    }),
  ).rejects.toThrow('rolled back');
}

describe('a change whose transaction rolls back', () => {
  it('a rolled-back send appends no event and enqueues no turn', async () => {
    const { chatId } = await newChat();
    const before = await eventTypes(chatId);
    await rolledBack(() => chats.send(user, chatId, { content: 'never', busy_behavior: 'queue' }, log));
    expect(await eventTypes(chatId)).toEqual(before);
    expect(await jobTurns(chatId)).toEqual([]);
    expect(await stack.sql`select 1 from messages where chat_id = ${chatId}`).toHaveLength(0);
  });

  it('a rolled-back queued send appends no event', async () => {
    const { chatId } = await newChat('first');
    const before = await eventTypes(chatId);
    await rolledBack(() => chats.send(user, chatId, { content: 'later', busy_behavior: 'queue' }, log));
    expect(await eventTypes(chatId)).toEqual(before);
  });

  it('a rolled-back edit appends no event, stops no worker and enqueues no turn', async () => {
    const { chatId, turnId, messageId } = await newChat('first');
    const before = await eventTypes(chatId);
    await rolledBack(() => chats.edit(user, chatId, messageId!, { content: 'edited' }, log));
    expect(await eventTypes(chatId)).toEqual(before);
    expect((await abortsSoFar()).filter((a) => a.turn_id === turnId)).toEqual([]);
    expect(await jobTurns(chatId)).toEqual([turnId]);
  });

  it('a rolled-back interrupt appends no event and stops no worker', async () => {
    const { chatId, turnId } = await newChat('first');
    const before = await eventTypes(chatId);
    await rolledBack(() => chats.interrupt(user, chatId, log));
    expect(await eventTypes(chatId)).toEqual(before);
    expect((await abortsSoFar()).filter((a) => a.turn_id === turnId)).toEqual([]);
    const [turn] = await stack.sql`select status from turns where id = ${turnId!}`;
    expect(turn!.status).toBe('queued');
  });

  it('a rolled-back interrupting send appends no event and stops no worker', async () => {
    const { chatId, turnId } = await newChat('first');
    const before = await eventTypes(chatId);
    await rolledBack(() => chats.send(user, chatId, { content: 'instead', busy_behavior: 'interrupt' }, log));
    expect(await eventTypes(chatId)).toEqual(before);
    expect((await abortsSoFar()).filter((a) => a.turn_id === turnId)).toEqual([]);
    expect(await jobTurns(chatId)).toEqual([turnId]);
  });

  it('a rolled-back removal from the queue appends no event', async () => {
    const { chatId } = await newChat('first');
    const queued = await alice.sendMessage({ params: { chat_id: chatId }, body: { content: 'later' } });
    expect(queued.status).toBe(202);
    if (queued.status !== 202) return;
    const before = await eventTypes(chatId);
    await rolledBack(() => chats.deleteQueued(user, chatId, queued.body.queued_message.id, log));
    expect(await eventTypes(chatId)).toEqual(before);
  });

  it('a rolled-back chat deletion stops no worker', async () => {
    const { chatId, turnId } = await newChat('first');
    await rolledBack(() => chats.delete(user, chatId, log));
    expect((await abortsSoFar()).filter((a) => a.turn_id === turnId)).toEqual([]);
    expect(await stack.sql`select 1 from chats where id = ${chatId}`).toHaveLength(1);
  });

  it('the same interrupt, committed, is announced once the transaction commits and not before', async () => {
    const { chatId, turnId } = await newChat('first');
    const before = await eventTypes(chatId);
    await transaction(stack.sql, async () => {
      await chats.interrupt(user, chatId, log);
      expect(await eventTypes(chatId)).toEqual(before);
      expect((await abortsSoFar()).filter((a) => a.turn_id === turnId)).toEqual([]);
    });
    expect((await eventTypes(chatId)).slice(before.length)).toEqual([
      'message.completed',
      'turn.status',
      'chat.status',
    ]);
    expect((await abortsSoFar()).filter((a) => a.turn_id === turnId)).toEqual([
      { turn_id: turnId, reason: 'interrupted' },
    ]);
  });
});

describe('a request with an Idempotency-Key', () => {
  let n = 0;
  const withKey = () => ({ 'idempotency-key': `publish-${++n}-${Math.random().toString(36).slice(2)}` });

  /** Makes every idempotency record fail to insert while `run` runs: the request's transaction rolls back. */
  async function whileRecordsFail(run: () => Promise<void>): Promise<void> {
    await stack.sql`
      create function refuse_record() returns trigger language plpgsql as $$
      begin raise exception 'record refused'; end $$`;
    await stack.sql`
      create trigger refuse_record before insert on idempotency_keys for each row execute function refuse_record()`;
    try {
      await run();
    } finally {
      await stack.sql`drop trigger refuse_record on idempotency_keys`;
      await stack.sql`drop function refuse_record()`;
    }
  }

  it('whose record fails appends no event and enqueues no turn for its send', async () => {
    const { chatId } = await newChat();
    const before = await eventTypes(chatId);
    await whileRecordsFail(async () => {
      const res = await refusal(
        alice.sendMessage({ params: { chat_id: chatId }, body: { content: 'lost' }, headers: withKey() }),
      );
      expect(res.status).toBe(500);
    });
    expect(await eventTypes(chatId)).toEqual(before);
    expect(await jobTurns(chatId)).toEqual([]);
  });

  it('whose record fails appends no event and stops no worker for its interrupt', async () => {
    const { chatId, turnId } = await newChat('first');
    const before = await eventTypes(chatId);
    await whileRecordsFail(async () => {
      const res = await refusal(alice.interruptChat({ params: { chat_id: chatId }, headers: withKey() }));
      expect(res.status).toBe(500);
    });
    expect(await eventTypes(chatId)).toEqual(before);
    expect((await abortsSoFar()).filter((a) => a.turn_id === turnId)).toEqual([]);
  });

  it('announces its send after its transaction committed, and before it answers', async () => {
    const { chatId } = await newChat();
    const before = await eventTypes(chatId);
    const headers = withKey();
    // A row of the same key, uncommitted: the request's own record waits for it, after the send ran.
    const locker = await stack.sql.reserve();
    try {
      await locker`begin`;
      await locker`
        insert into idempotency_keys (user_id, key, fingerprint, status, body, expires_at)
        values (${user.id}, ${headers['idempotency-key']}, ${Buffer.from([0])}, 201, ${Buffer.from([0])},
                now() + interval '1 hour')`;
      const sent = alice.sendMessage({ params: { chat_id: chatId }, body: { content: 'after commit' }, headers });
      await eventually(async () => {
        const waiting = await stack.sql`
          select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
        return waiting.length > 0 ? true : undefined;
      });
      expect(await stack.sql`select 1 from turns where chat_id = ${chatId}`).toHaveLength(0);
      expect(await eventTypes(chatId)).toEqual(before);
      expect(await jobTurns(chatId)).toEqual([]);
      await locker`rollback`;
      const res = await sent;
      expect(res.status).toBe(201);
      if (res.status !== 201) return;
      expect((await eventTypes(chatId)).slice(before.length)).toEqual([
        'message.created',
        'turn.status',
        'chat.status',
      ]);
      expect(await jobTurns(chatId)).toEqual([res.body.turn.id]);
    } finally {
      locker.release();
    }
  });
});
