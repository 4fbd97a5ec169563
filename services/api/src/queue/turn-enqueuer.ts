import type { Turn, TurnJob } from '@chatq/contracts';
import { addTurnJob } from '@chatq/chat-core';
import { withTimeout } from '@chatq/platform';
import type { Logger } from '../domain/logger.ts';
import type { Queue } from 'bullmq';
import { afterCommit } from '../db/transaction.ts';

/**
 * Hands committed turns to BullMQ. It never fails a request: the turn row is the outbox, so when
 * Redis is slow or away the worker-side relay enqueues the turn later and nothing is lost.
 */
export class TurnEnqueuer {
  private readonly queue: Queue<TurnJob>;
  private readonly timeoutMs: number;

  constructor(queue: Queue<TurnJob>, timeoutMs: number) {
    this.queue = queue;
    this.timeoutMs = timeoutMs;
  }

  /**
   * Inside a transaction (an idempotent request), the job goes out only once it has committed.
   * `resume` names the run of a turn queued again after it waited (see turnJobId).
   */
  enqueue(turn: Turn, log: Logger, resume?: number): Promise<void> {
    return afterCommit(() => this.push(turn, log, resume));
  }

  private async push(turn: Turn, log: Logger, resume?: number): Promise<void> {
    const job: TurnJob = {
      turn_id: turn.id,
      chat_id: turn.chat_id,
      generation: turn.generation,
      ...(resume ? { resume } : {}),
    };
    try {
      await withTimeout(addTurnJob(this.queue, job), this.timeoutMs, 'enqueue');
    } catch (err) {
      log.warn({ err, turn_id: turn.id }, 'enqueue failed; the outbox relay will enqueue this turn');
    }
  }
}
