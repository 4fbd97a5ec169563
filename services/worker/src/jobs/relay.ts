import type { TurnJob } from '@chatq/contracts';
import { addTurnJobs } from '@chatq/chat-core';
import { type Logger } from '@chatq/platform';
import type { Queue } from 'bullmq';
import type { TurnsRepository } from '../db/turns.repository.ts';

const BATCH = 500;

/**
 * The outbox relay: enqueues turns that are still `queued` in Postgres a while after they were
 * committed (the API's enqueue failed, or Redis lost the job), and re-adds the jobs of turns running
 * a while (Redis may have lost those too). Job ids are deterministic, so re-adding a job that still
 * exists is a no-op. Returns how many it handed over.
 */
export async function relayOutbox(
  turns: TurnsRepository,
  queue: Queue<TurnJob>,
  afterMs: number,
  log: Logger,
): Promise<number> {
  let total = 0;
  for (;;) {
    const jobs = await turns.takeDueOutbox(afterMs, BATCH);
    if (jobs.length === 0) return total;
    await addTurnJobs(queue, jobs);
    total += jobs.length;
    // Debug: long-running turns are re-added (as no-ops) every round; the API warns about the
    // enqueues that actually failed.
    log.debug({ count: jobs.length }, 'relayed live turns to the queue');
    if (jobs.length < BATCH) return total;
  }
}

/** Runs the relay every `intervalMs` until stopped; failures are logged and retried next tick. */
export function startRelay(run: () => Promise<number>, intervalMs: number, log: Logger): { stop: () => Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(run).catch((err: unknown) => log.warn({ err }, 'outbox relay failed; will retry'));
  }, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
