import { ChatEventLog } from '@chatq/chat-core';
import { createRedis } from '@chatq/platform';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { settledChat, startChat } from '../harness/chats.ts';
import { createMockModel } from '../harness/models.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

/** Makes every claim of `turnId` error, as a deadlock or a bug would, outside any provider call. */
async function refuseClaims(stack: TestStack, turnId: string): Promise<() => Promise<void>> {
  await stack.sql.unsafe(`
    create function refuse_running() returns trigger language plpgsql as $$
    begin
      if new.status = 'running' and new.id = '${turnId}' then raise exception 'simulated claim failure'; end if;
      return new;
    end $$`);
  await stack.sql`create trigger refuse_running before update on turns for each row execute function refuse_running()`;
  return async () => {
    await stack.sql`drop trigger refuse_running on turns`;
    await stack.sql`drop function refuse_running()`;
  };
}

describe('a turn job that fails for good outside the provider call', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { WORKER_RETRY_BASE_MS: '10' } });
  });
  afterAll(() => stack.close());

  it('fails its turn with a readable error after WORKER_MAX_TURN_ATTEMPTS tries, instead of leaving the chat busy', async () => {
    const model = await createMockModel(stack.client, 'never-claimed');
    const user = await stack.memberClient();
    const created = await startChat(user, 'hello', model);
    const allow = await refuseClaims(stack, created.turn.id);
    try {
      stack.startWorker();
      const chat = await eventually(
        async () => {
          const res = await user.getChat({ params: { chat_id: created.chat.id } });
          return res.body.chat.status === 'error' ? res.body.chat : undefined;
        },
        { what: 'the chat to show the failure', timeoutMs: 15_000 },
      );
      expect(chat.last_error).toBe('turn failed after 5 attempts (internal error)');
      const turn = await user.getTurn({ params: { chat_id: created.chat.id, turn_id: created.turn.id } });
      expect(turn.body.turn).toMatchObject({
        status: 'failed',
        error: 'turn failed after 5 attempts (internal error)',
      });
    } finally {
      await allow();
    }
  });
});

describe('a turn job BullMQ gives up on, with a message queued behind it', () => {
  let stack: TestStack;
  let redis: ReturnType<typeof createRedis>;
  beforeAll(async () => {
    // No relay pass within the test: only the worker's own enqueue can start the next turn.
    stack = await startStack({ worker: false, env: { RELAY_INTERVAL_MS: '600000' } });
    redis = createRedis(inject('redisUrl'), 'consumer');
  });
  afterAll(async () => {
    redis.disconnect();
    await stack.close();
  });

  it('ends like any failed turn: failure events in the chat log, and the next turn enqueued at once', async () => {
    const model = await createMockModel(stack.client, 'behind-a-failure');
    const user = await stack.memberClient();
    const { chat, turn } = await startChat(user, 'doomed', model);
    const queued = await user.sendMessage({ params: { chat_id: chat.id }, body: { content: 'next' } });
    if (queued.status !== 202) expect.fail(`the send answered ${queued.status}, not 202`);
    const allow = await refuseClaims(stack, turn.id);
    try {
      stack.startWorker({ WORKER_MAX_TURN_ATTEMPTS: '1' });
      const settled = await settledChat(user, chat.id);
      expect(settled).toMatchObject({ status: 'idle', last_error: null });
    } finally {
      await allow();
    }

    const error = 'turn failed after 1 attempts (internal error)';
    const failed = await user.getTurn({ params: { chat_id: chat.id, turn_id: turn.id } });
    expect(failed.body.turn).toMatchObject({ status: 'failed', error });
    const messages = (await user.listMessages({ params: { chat_id: chat.id } })).body.data;
    expect(messages.map((m) => [m.role, m.id === queued.body.queued_message.id])).toEqual([
      ['user', false],
      ['user', true],
      ['assistant', false],
    ]);
    const [next] = await stack.sql`select id, relayed_at from turns where chat_id = ${chat.id} and id <> ${turn.id}`;
    expect(next!.relayed_at).toBeNull();

    const log = new ChatEventLog(redis, { prefix: stack.prefix, maxLen: 1_000, ttlSeconds: 60 });
    const events = (await log.range(log.chatKey(chat.id), '0', 100)).map((e) => ({
      type: e.type,
      data: JSON.parse(e.data.toString()),
    }));
    const failure = events.findIndex((e) => e.type === 'turn.failed');
    expect(events.slice(failure, failure + 5)).toMatchObject([
      { type: 'turn.failed', data: { chat_id: chat.id, turn_id: turn.id, message: error } },
      { type: 'turn.status', data: { turn_id: turn.id, status: 'failed', error } },
      { type: 'message.created', data: { message: { id: queued.body.queued_message.id, content: 'next' } } },
      { type: 'turn.status', data: { turn_id: next!.id, status: 'queued' } },
      { type: 'chat.status', data: { chat_id: chat.id, status: 'pending' } },
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'chat.status', data: { status: 'idle' } });
  });
});
