import type { ChatEvent, Message, Turn, TurnAbort } from '@chatq/contracts';
import { chatStatusEvent, turnCancelledEvents, turnQueuedEvents, turnStatusEvent } from '@chatq/chat-core';
import type { ChangeOk } from '../db/chats.repository.ts';

/** What the outside world must learn of a committed change. */
export interface ChangeNotice {
  events: ChatEvent[];
  /** The turn the change started (to enqueue), if any. */
  started?: { message: Message; turn: Turn };
  /** Turns below this generation may no longer write to the event log. */
  minGeneration?: number;
  /** The worker running this turn must stop its provider call. */
  abort?: TurnAbort;
}

/**
 * Derives events, fence and stop from a change: a superseded or cancelled turn ends (and its
 * worker stops), a started turn is announced with its message, and the chat's status always is.
 * Pure: table-tested in change-events.test.ts.
 */
export function noticeOf(result: ChangeOk): ChangeNotice {
  const chatId = result.chat.id;
  const started =
    result.next ?? (result.turn && result.message ? { turn: result.turn, message: result.message } : undefined);
  const { cancelled, supersededTurnId } = result;
  return {
    events: [
      ...(supersededTurnId ? [turnStatusEvent(chatId, supersededTurnId, 'superseded')] : []),
      ...(cancelled ? turnCancelledEvents(chatId, cancelled) : []),
      ...(started ? turnQueuedEvents(started) : []),
      chatStatusEvent(result.chat),
    ],
    started,
    minGeneration: started?.turn.generation ?? (cancelled ? cancelled.generation + 1 : undefined),
    abort: cancelled
      ? { turn_id: cancelled.turn_id, reason: 'interrupted' }
      : supersededTurnId
        ? { turn_id: supersededTurnId, reason: 'superseded' }
        : undefined,
  };
}
