import type { ChatEvent, TurnAbort } from '@chatq/contracts';
import { type ChatEventLog } from '@chatq/chat-core';
import { withTimeout } from '@chatq/platform';
import type { Logger } from '../domain/logger.ts';
import type { SeenReply } from '../db/chats.repository.ts';
import { afterCommit } from '../db/transaction.ts';

/** Longest an interrupt may freeze a live reply; a crashed API's hold lapses by itself. */
const HOLD_MS = 5_000;

/**
 * The API's side of the event log. Like the enqueuer it never fails a request: Postgres has already
 * committed the change, and clients that miss events re-read the chat.
 */
export class ChatEventPublisher {
  private readonly log: ChatEventLog;
  private readonly timeoutMs: number;

  constructor(log: ChatEventLog, timeoutMs: number) {
    this.log = log;
    this.timeoutMs = timeoutMs;
  }

  /**
   * Appends `events` (with the fence, hold release and abort in `options`) once the transaction this
   * runs in commits, like the enqueue: nobody hears of a change that rolled back. Without a
   * transaction, now.
   */
  record(
    chatId: string,
    ownerId: string,
    events: ChatEvent[],
    options: { minGeneration?: number; releaseHold?: boolean; abort?: TurnAbort },
    logger: Logger,
  ): Promise<void> {
    return afterCommit(async () => {
      try {
        await withTimeout(this.log.record(chatId, ownerId, events, options), this.timeoutMs, 'event append');
      } catch (err) {
        logger.warn({ err, chat_id: chatId }, 'event append failed; clients will miss these events');
      }
    });
  }

  /**
   * Deletes a deleted chat's event log (and stops the worker running its turn) once the deletion
   * commits. If Redis cannot do it, the log expires by itself (EVENTS_TTL_SECONDS): said in the log.
   */
  erase(chatId: string, abort: TurnAbort | undefined, logger: Logger): Promise<void> {
    return afterCommit(async () => {
      try {
        await withTimeout(this.log.erase(chatId, abort), this.timeoutMs, 'event log erase');
      } catch (err) {
        logger.warn({ err, chat_id: chatId }, 'event log not erased; it expires by itself');
      }
    });
  }

  /** Freezes the live reply for an interrupt; null when Redis cannot say (nothing partial is kept). */
  async hold(chatId: string, logger: Logger): Promise<SeenReply | null> {
    try {
      return await withTimeout(this.log.hold(chatId, HOLD_MS), this.timeoutMs, 'event hold');
    } catch (err) {
      logger.warn({ err, chat_id: chatId }, 'could not read the live reply; the interrupt keeps no partial text');
      return null;
    }
  }
}
