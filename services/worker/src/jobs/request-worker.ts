import { closeRedis, createRedis, type Logger, redisErrorLog } from '@chatq/platform';
import { type Job, Worker } from 'bullmq';
import { drainWorker, InFlightJobs } from './hand-back.ts';

/**
 * The BullMQ consumer of one queue of requests the API waits on (provider checks, MCP tool
 * listings: see services/api/src/queue/worker-requests.ts), on a blocking connection of its own.
 * `close` drains it like the turn worker: requests still running after `handBackAfterMs` go back to
 * the queue, and a Redis that does not answer cannot hold the goodbye up.
 */
export function startRequestWorker<J, R>(
  queue: string,
  processor: (job: Job<J>) => Promise<R>,
  deps: { redisUrl: string; redisCluster: boolean; prefix: string; concurrency: number; logger: Logger },
): { worker: Worker<J, R>; close: (handBackAfterMs?: number) => Promise<void> } {
  const connection = createRedis(deps.redisUrl, 'consumer', {}, deps.redisCluster);
  const inFlight = new InFlightJobs<J>();
  const worker = new Worker<J, R>(queue, inFlight.track(processor), {
    connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
  });
  worker.on('error', redisErrorLog(deps.logger, 'error', `${queue} worker error`));
  return {
    worker,
    close: async (handBackAfterMs) => {
      await drainWorker(worker, inFlight, handBackAfterMs, deps.logger);
      await closeRedis([connection.quit()], [connection]);
    },
  };
}
