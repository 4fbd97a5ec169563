import { type Logger, REDIS_GOODBYE_MS, settlesWithin } from '@chatq/platform';
import type { Job, Worker } from 'bullmq';

type Processor<D, R> = (job: Job<D>, token?: string) => Promise<R>;

/**
 * The jobs this process is running, with their lock tokens, so that a drain running out of time can
 * give them back to the queue at once instead of leaving them locked until the lock lapses.
 */
export class InFlightJobs<D> {
  readonly #jobs = new Map<string, { job: Job<D>; token: string }>();
  #whenIdle: (() => void)[] = [];

  track<R>(processor: Processor<D, R>): Processor<D, R> {
    return async (job, token) => {
      const key = job.id ?? '';
      if (token) this.#jobs.set(key, { job, token });
      try {
        return await processor(job, token);
      } finally {
        this.#jobs.delete(key);
        if (this.#jobs.size === 0) for (const resolve of this.#whenIdle.splice(0)) resolve();
      }
    };
  }

  /** Resolves once no tracked job is running. */
  idle(): Promise<void> {
    return this.#jobs.size === 0 ? Promise.resolve() : new Promise((resolve) => this.#whenIdle.push(resolve));
  }

  /**
   * Moves every running job back to the queue (as delayed by zero, which BullMQ does not count as
   * an attempt). The turn's claim fence in Postgres keeps this process from writing a reply once
   * another worker has claimed the turn. Returns how many were handed back.
   */
  async handBack(): Promise<number> {
    const running = [...this.#jobs.values()];
    const results = await Promise.allSettled(running.map(({ job, token }) => job.moveToDelayed(Date.now(), token)));
    return results.filter((r) => r.status === 'fulfilled').length;
  }
}

/**
 * Stops `worker` taking jobs and waits for its running jobs, for at most `handBackAfterMs` when
 * given; then hands whatever still runs back to the queue and returns without waiting further.
 * What is left of BullMQ's close after a clean drain is bookkeeping in Redis, waited for at most
 * REDIS_GOODBYE_MS: a Redis that is down would hold an idle worker's stop for the whole grace period.
 */
export async function drainWorker<D>(
  worker: Worker<D>,
  inFlight: InFlightJobs<D>,
  handBackAfterMs: number | undefined,
  log: Logger,
): Promise<void> {
  const closing = worker.close();
  if (handBackAfterMs === undefined) return closing;
  if (await settlesWithin(inFlight.idle(), handBackAfterMs)) {
    await settlesWithin(closing, REDIS_GOODBYE_MS);
    return;
  }
  const count = await inFlight.handBack();
  log.warn({ count }, 'drain ran out of time; handed the running jobs back to the queue');
}
