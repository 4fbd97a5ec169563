import { addTurnJobs, createTurnQueue } from '@chatq/chat-core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockModel } from '../harness/models.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack();
  stack.startWorker();
  stack.startWorker();
});
afterAll(() => stack.close());

describe('several workers on one queue', () => {
  it('process disjoint turns: every chat gets exactly one reply and no turn runs twice', async () => {
    const model = await createMockModel(stack.client, 'shared', { options: { latency_ms: 20 } });
    const user = await stack.memberClient();
    const chats = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        user.createChat({ body: { content: `hello ${i}`, model_config_id: model } }),
      ),
    );
    expect(chats.every((c) => c.status === 201)).toBe(true);
    await eventually(
      async () => {
        const [row] = await stack.sql`select count(*)::int as n from turns where status = 'completed'`;
        return row!.n === 40 ? true : undefined;
      },
      { what: '40 completed turns', timeoutMs: 20_000 },
    );
    const perChat = await stack.sql`
      select chat_id, count(*)::int as n from messages where role = 'assistant' group by chat_id`;
    expect(perChat).toHaveLength(40);
    expect(perChat.every((r) => r.n === 1)).toBe(true);
    const [row] = await stack.sql`select max(attempts)::int as max from turns`;
    expect(row!.max).toBe(1);
  });

  it('enqueuing the same turn twice is a no-op', async () => {
    const redis = new Redis(stack.env.REDIS_URL!, { maxRetriesPerRequest: null });
    const queue = createTurnQueue(redis, `${stack.prefix}_dup`);
    try {
      const job = {
        turn_id: '01a20fe4-b87d-7ca7-aeaa-bafdae23a56b',
        chat_id: '01a20fe4-b87d-7ca7-aeaa-bafdae23a56c',
        generation: 1,
      };
      await addTurnJobs(queue, [job]);
      await addTurnJobs(queue, [job]);
      expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      redis.disconnect();
    }
  });
});
