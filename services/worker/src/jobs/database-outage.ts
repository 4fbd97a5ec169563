import type { TurnJob } from '@chatq/contracts';
import { isDatabaseUnavailable, type Logger } from '@chatq/platform';
import { DelayedError, type Job } from 'bullmq';

/** How long a turn waits before trying a database that was unreachable again (jittered). */
export const DATABASE_RETRY_MS = 2_000;

/**
 * Wraps a turn processor so that a Postgres outage does not use up the turn's attempts: the job is
 * put back as delayed (BullMQ does not count that as an attempt) and tried again in a couple of
 * seconds, for as long as the outage lasts. Only errors of the database client itself count: the
 * processor wraps every provider error, so a provider's refused connection never looks like one.
 */
export function retryThroughDatabaseOutages<R>(
  processor: (job: Job<TurnJob>, token?: string) => Promise<R>,
  log: Logger,
  random: () => number = Math.random,
): (job: Job<TurnJob>, token?: string) => Promise<R> {
  return async (job, token) => {
    try {
      return await processor(job, token);
    } catch (err) {
      if (!token || !isDatabaseUnavailable(err)) throw err;
      const delayMs = Math.round(DATABASE_RETRY_MS * (0.5 + random()));
      log
        .child({ job_id: job.id, chat_id: job.data.chat_id, turn_id: job.data.turn_id })
        .warn({ err, retry_in_ms: delayMs }, 'database unavailable; turn will be retried');
      await job.moveToDelayed(Date.now() + delayMs, token);
      throw new DelayedError();
    }
  };
}
