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

/** A tool call as the tool events carry it. */
interface ToolCallRef {
  tool_call_id: string;
  name: string;
  input: unknown;
}

/**
 * An event about one tool call of a turn: `tool.call` (a worker started it), `turn.requires_action`
 * (the caller must run it), `turn.approval_requested` (the owner must decide on it).
 */
export const toolCallEvent = (
  type: 'tool.call' | 'turn.requires_action' | 'turn.approval_requested',
  chatId: string,
  turnId: string,
  call: ToolCallRef,
): ChatEvent => ({
  type,
  data: { chat_id: chatId, turn_id: turnId, tool_call_id: call.tool_call_id, name: call.name, input: call.input },
});

/** A tool call has its result: the tool's, the caller's, or a refusal (`is_error`). */
export const toolResultEvent = (
  chatId: string,
  turnId: string,
  call: ToolCallRef,
  result: { output: unknown; is_error: boolean },
): ChatEvent => ({
  type: 'tool.result',
  data: {
    chat_id: chatId,
    turn_id: turnId,
    tool_call_id: call.tool_call_id,
    name: call.name,
    input: call.input,
    output: result.output,
    is_error: result.is_error,
  },
});
