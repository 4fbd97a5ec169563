import type { ChatEvent, TurnJob } from '@chatq/contracts';
import { afterTurnEvents, type ChatEventLog, toChat, toMessage, toTurn, turnStatusEvent } from '@chatq/chat-core';
import type { Logger } from '@chatq/platform';
import type { AfterTurn, Finish } from '../db/turns.repository.ts';
import { TurnEventWriter } from '../events/turn-events.ts';

/** A turn that has ended, as the chatq_* call that ended it reported it. */
export interface TurnEnd {
  chatId: string;
  turn: { id: string; generation: number };
  /** The result of the complete, fail or claim that ended the turn (or found it no longer current). */
  finish: Finish;
  /** What a failed turn records; clients see it on the `error` and `turn.status` events. */
  error?: string;
  /** The writer that streamed the turn, whose appends the end events must follow; else a new one. */
  writer?: TurnEventWriter;
}

/** Records a turn's end; see createTurnEnder. */
export type TurnEnder = (end: TurnEnd, log: Logger) => Promise<void>;

/**
 * The one way a worker ends a turn, whoever noticed the end (the turn's own job on completion or
 * failure, a claim that failed the turn, or the handler of a job BullMQ gave up on). Postgres has
 * already set the chat's status and started the next queued message in the transaction that ended
 * the turn; this appends the end events to the chat's log, then enqueues the next turn at once,
 * so the queue moves on without waiting for the outbox relay (which still covers a failed enqueue).
 * A finish that found the turn superseded or stale changes nothing, so nothing is recorded.
 */
export function createTurnEnder(deps: { events: ChatEventLog; enqueue: (job: TurnJob) => Promise<void> }): TurnEnder {
  return async ({ chatId, turn, finish, error = '', writer }, log) => {
    if (finish.outcome !== 'completed' && finish.outcome !== 'failed') return writer?.flush();
    const out =
      writer ?? new TurnEventWriter(deps.events, { chatId, ownerId: finish.chat.owner_id, turn }, () => {}, log);
    await out.end(endEvents(chatId, turn.id, finish, error));
    const next = finish.next?.turn;
    if (next) {
      await deps
        .enqueue({ turn_id: next.id, chat_id: chatId, generation: Number(next.generation) })
        .catch((err: unknown) => log.warn({ err, next_turn_id: next.id }, 'enqueue failed; the outbox relay will'));
    }
  };
}

/** The events of a turn that ended; the chat's next queued message may have started with it. */
function endEvents(
  chatId: string,
  turnId: string,
  finish: Extract<Finish, { outcome: 'completed' | 'failed' }>,
  error: string,
): ChatEvent[] {
  const after = afterTurnEvents(afterTurn(finish));
  if (finish.outcome === 'completed') {
    // A turn the spend limit stopped before its next call ends on the steps it already stored.
    const message = finish.message && toMessage(finish.message);
    return [
      ...(message
        ? ([
            { type: 'message.created', data: { message } },
            { type: 'message.completed', data: { turn_id: turnId, message_id: message.id, interrupted: false } },
          ] as const)
        : []),
      turnStatusEvent(chatId, turnId, 'completed'),
      ...after,
    ];
  }
  return [
    { type: 'turn.failed', data: { chat_id: chatId, turn_id: turnId, message: error } },
    turnStatusEvent(chatId, turnId, 'failed', error),
    ...after,
  ];
}

function afterTurn(after: AfterTurn) {
  return {
    chat: toChat(after.chat),
    ...(after.next ? { next: { message: toMessage(after.next.message), turn: toTurn(after.next.turn) } } : {}),
  };
}
