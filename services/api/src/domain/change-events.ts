import type { ChatEvent, Message, Turn, TurnAbort } from '@chatq/contracts';
import {
  chatStatusEvent,
  toolResultEvent,
  turnCancelledEvents,
  turnQueuedEvents,
  turnStatusEvent,
} from '@chatq/chat-core';
import type { Change } from '../db/chats.results.ts';

/** What the outside world must learn of a committed change. */
export interface ChangeNotice {
  chatId: string;
  events: ChatEvent[];
  /** The turn the change started (to enqueue), if any. */
  started?: { message: Message; turn: Turn };
  /** A waiting turn the change queued again (to enqueue under its resume count). */
  resumed?: { turn: Turn; resume: number };
  /** Turns below this generation may no longer write to the event log. */
  minGeneration?: number;
  /** The worker running this turn must stop its provider call. */
  abort?: TurnAbort;
}

/**
 * Derives events, fence and stop from a change: a superseded or cancelled turn ends (and its
 * worker stops), a started turn is announced with its message, and the chat's status is whenever
 * the change can move it. Pure: table-tested in change-events.test.ts.
 */
export function noticeOf(change: Change): ChangeNotice {
  switch (change.kind) {
    case 'created':
      return { chatId: change.chat.id, events: [chatStatusEvent(change.chat)] };
    case 'started': {
      const { chat, message, turn, superseded_turn_id: superseded, cancelled } = change;
      return {
        chatId: chat.id,
        events: [
          ...(superseded ? [turnStatusEvent(chat.id, superseded, 'superseded')] : []),
          ...(cancelled ? turnCancelledEvents(chat.id, cancelled) : []),
          ...turnQueuedEvents({ message, turn }),
          chatStatusEvent(chat),
        ],
        started: { message, turn },
        minGeneration: turn.generation,
        abort: cancelled
          ? { turn_id: cancelled.turn_id, reason: 'interrupted' }
          : superseded
            ? { turn_id: superseded, reason: 'superseded' }
            : undefined,
      };
    }
    case 'queued':
      return { chatId: change.chat.id, events: [{ type: 'message.queued', data: { message: change.queued_message } }] };
    case 'interrupted': {
      const { chat, cancelled, next } = change;
      return {
        chatId: chat.id,
        events: [
          ...turnCancelledEvents(chat.id, cancelled),
          ...(next ? turnQueuedEvents(next) : []),
          chatStatusEvent(chat),
        ],
        started: next,
        minGeneration: next?.turn.generation ?? cancelled.generation + 1,
        abort: { turn_id: cancelled.turn_id, reason: 'interrupted' },
      };
    }
    case 'unqueued':
      return {
        chatId: change.chat_id,
        events: [{ type: 'message.unqueued', data: { chat_id: change.chat_id, id: change.queued_message_id } }],
      };
    case 'answered': {
      const { chat, turn, results, resume } = change;
      return {
        chatId: chat.id,
        events: [
          ...results.map((r) => toolResultEvent(chat.id, turn.id, r, r)),
          ...(resume ? [turnStatusEvent(chat.id, turn.id, 'queued'), chatStatusEvent(chat)] : []),
        ],
        ...(resume ? { resumed: { turn, resume } } : {}),
      };
    }
    case 'deleted':
      return {
        chatId: change.chat_id,
        events: [],
        abort: change.live_turn_id ? { turn_id: change.live_turn_id, reason: 'superseded' } : undefined,
      };
  }
}
