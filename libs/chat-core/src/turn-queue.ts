import { TURN_QUEUE, turnJobId, type TurnJob } from '@chatq/contracts';
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { queueTelemetry } from '@chatq/platform';

/** Retry policy for provider failures; the worker's backoff strategy of this name adds jitter and honours Retry-After. */
export const TURN_BACKOFF = 'provider';

/** How often BullMQ runs a turn job before it fails for good. */
export const TURN_JOB_ATTEMPTS = 5;

const JOB_OPTIONS: JobsOptions = {
  attempts: TURN_JOB_ATTEMPTS,
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

const jobOptions = (job: TurnJob): JobsOptions => ({ ...JOB_OPTIONS, jobId: turnJobId(job.turn_id) });

/** Adds the turn's job under its deterministic id, so adding it again is a no-op. One command. */
export async function addTurnJob(queue: Queue<TurnJob>, job: TurnJob): Promise<void> {
  await queue.add('turn', job, jobOptions(job));
}

/** Adds many turns' jobs at once (the outbox relay, tools). */
export async function addTurnJobs(queue: Queue<TurnJob>, jobs: TurnJob[]): Promise<void> {
  await queue.addBulk(jobs.map((job) => ({ name: 'turn', data: job, opts: jobOptions(job) })));
}
