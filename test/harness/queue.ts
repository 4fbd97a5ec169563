import { turnJobId, type TurnJob } from '@chatq/contracts';
import { createTurnQueue } from '@chatq/chat-core';
import { createRedis } from '@chatq/platform';
import type { Job, Queue } from 'bullmq';
import { inject } from 'vitest';
import { eventually } from './eventually.ts';

/** The turn queue under `prefix`, on a connection of its own: `close` ends both. */
export interface TestTurnQueue extends Queue<TurnJob> {
  close: () => Promise<void>;
}

/** Opens the turn queue a stack (or service processes) with QUEUE_PREFIX `prefix` use, to look at or feed it. */
export function openTurnQueue(prefix: string, redisUrl: string = inject('redisUrl')): TestTurnQueue {
  const redis = createRedis(redisUrl, 'consumer');
  const queue = createTurnQueue(redis, prefix);
  const closeQueue = queue.close.bind(queue);
  return Object.assign(queue, {
    close: async () => {
      await closeQueue();
      redis.disconnect();
    },
  });
}

/** The job of `turnId` once a worker is done with it (completed, or failed for good), as the worker left it. */
export function finishedTurnJob(queue: Queue<TurnJob>, turnId: string, timeoutMs = 10_000): Promise<Job<TurnJob>> {
  return eventually(
    async () => {
      const job = await queue.getJob(turnJobId(turnId));
      return job?.finishedOn ? job : undefined;
    },
    { timeoutMs, what: `the job of turn ${turnId} to finish` },
  );
}
