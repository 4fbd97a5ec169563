import { TURN_QUEUE, turnJobId, type TurnJob } from '@chatq/contracts';
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { queueTelemetry } from '@chatq/platform';

/** Retry policy for provider failures; the worker's backoff strategy of this name adds jitter and honours Retry-After. */
export const TURN_BACKOFF = 'provider';

/**
 * The most attempts WORKER_MAX_TURN_ATTEMPTS may give a turn, and the `attempts` of every turn job.
 * Only the worker reads WORKER_MAX_TURN_ATTEMPTS and decides which attempt is a turn's last (from
 * the turn's claim count in Postgres, which also sees crashed workers); BullMQ's count is only a
 * ceiling it never reaches. So whoever enqueues (API, relay, next-turn enqueue) cannot disagree
 * with the worker, whatever each process's environment says.
 */
export const TURN_ATTEMPTS_CEILING = 100;

const JOB_OPTIONS: JobsOptions = {
  attempts: TURN_ATTEMPTS_CEILING,
  backoff: { type: TURN_BACKOFF },
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3_600, count: 10_000 },
};

/**
 * The queue waits for its connection to be ready before its first command: the API's producer
 * connection has no offline queue, so a command sent while it is still connecting (BullMQ's
 * version check) would fail, and with it every later add of that queue.
 */
export function createTurnQueue(connection: ConnectionOptions, prefix: string): Queue<TurnJob> {
  return new Queue<TurnJob>(TURN_QUEUE, { connection, prefix, telemetry: queueTelemetry() });
}

const jobOptions = (job: TurnJob): JobsOptions => ({ ...JOB_OPTIONS, jobId: turnJobId(job.turn_id, job.resume) });

/** Adds the turn's job under its deterministic id, so adding it again is a no-op. One command. */
export async function addTurnJob(queue: Queue<TurnJob>, job: TurnJob): Promise<void> {
  await queue.add('turn', job, jobOptions(job));
}

/** Adds many turns' jobs at once (the outbox relay, tools). */
export async function addTurnJobs(queue: Queue<TurnJob>, jobs: TurnJob[]): Promise<void> {
  await queue.addBulk(jobs.map((job) => ({ name: 'turn', data: job, opts: jobOptions(job) })));
}
