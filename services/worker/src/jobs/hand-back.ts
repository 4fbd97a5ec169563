import type { TurnJob } from '@chatq/contracts';
import type { Logger } from '@chatq/platform';
import type { Job, Worker } from 'bullmq';

type Processor<R> = (job: Job<TurnJob>, token?: string) => Promise<R>;

/**
 * The jobs this process is running, with their lock tokens, so that a drain running out of time can
 * give them back to the queue at once instead of leaving them locked until the lock lapses.
 */
export class InFlightJobs {
  readonly #jobs = new Map<string, { job: Job<TurnJob>; token: string }>();

  track<R>(processor: Processor<R>): Processor<R> {
    return async (job, token) => {
      const key = job.id ?? '';
      if (token) this.#jobs.set(key, { job, token });
      try {
        return await processor(job, token);
      } finally {
        this.#jobs.delete(key);
      }
    };
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
 * Stops `worker` taking jobs and waits for its running turns, for at most `handBackAfterMs` when
 * given; then hands whatever still runs back to the queue and returns without waiting further.
 */
export async function drainWorker(
  worker: Worker,
  inFlight: InFlightJobs,
  handBackAfterMs: number | undefined,
  log: Logger,
): Promise<void> {
  const closing = worker.close();
  if (handBackAfterMs === undefined) return closing;
  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([
    closing.then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), handBackAfterMs);
    }),
  ]);
  clearTimeout(timer);
  if (finished) return;
  const count = await inFlight.handBack();
  log.warn({ count }, 'drain ran out of time; handed the running turns back to the queue');
}
