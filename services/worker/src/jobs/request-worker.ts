import { createRedis, type Logger } from '@chatq/platform';
import { type Job, Worker } from 'bullmq';

/**
 * The BullMQ consumer of one queue of requests the API waits on (provider checks, MCP tool
 * listings: see services/api/src/queue/worker-requests.ts), on a blocking connection of its own.
 */
export function startRequestWorker<J, R>(
  queue: string,
  processor: (job: Job<J>) => Promise<R>,
  deps: { redisUrl: string; redisCluster: boolean; prefix: string; concurrency: number; logger: Logger },
): { worker: Worker<J, R>; close: () => Promise<void> } {
  const connection = createRedis(deps.redisUrl, 'consumer', {}, deps.redisCluster);
  const worker = new Worker<J, R>(queue, processor, {
    connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
  });
  worker.on('error', (err) => deps.logger.error({ err, queue }, 'request worker error'));
  return {
    worker,
    close: async () => {
      await worker.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
