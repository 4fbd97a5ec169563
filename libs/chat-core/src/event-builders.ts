import type { Chat, ChatEvent, Message, Turn, TurnStatus } from '@chatq/contracts';

/*
 * The events each chat state change produces, shared by the API and the workers so the same change
 * reads the same whoever made it. Pure: table-tested in chat-event-builders.test.ts.
 */

export const chatStatusEvent = (chat: Chat): ChatEvent => ({
  type: 'chat.status',
  data: { chat_id: chat.id, status: chat.status, last_error: chat.last_error },
});

export const turnStatusEvent = (chatId: string, turnId: string, status: TurnStatus, error?: string): ChatEvent => ({
  type: 'turn.status',
  data: { chat_id: chatId, turn_id: turnId, status, ...(error ? { error } : {}) },
});

/** A user message entered the conversation and its turn was queued (send, edit, promotion). */
export function turnQueuedEvents(started: { message: Message; turn: Turn }): ChatEvent[] {
  return [
    { type: 'message.created', data: { message: started.message } },
    turnStatusEvent(started.turn.chat_id, started.turn.id, 'queued'),
  ];
}

/** A live turn was cancelled: its partial reply (if any was kept) ends the streamed message. */
export function turnCancelledEvents(chatId: string, cancelled: { turn_id: string; message?: Message }): ChatEvent[] {
  return [
    ...(cancelled.message ? [{ type: 'message.created', data: { message: cancelled.message } } as const] : []),
    {
      type: 'message.completed',
      data: { turn_id: cancelled.turn_id, message_id: cancelled.message?.id ?? null, interrupted: true },
    },
    turnStatusEvent(chatId, cancelled.turn_id, 'cancelled'),
  ];
}

/** After a turn ended: the next queued message starts, or the chat rests; either way its status. */
export function afterTurnEvents(after: { chat: Chat; next?: { message: Message; turn: Turn } }): ChatEvent[] {
  return [...(after.next ? turnQueuedEvents(after.next) : []), chatStatusEvent(after.chat)];
}
