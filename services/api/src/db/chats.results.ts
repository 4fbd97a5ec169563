import type { Chat, Message, QueuedMessage, Turn } from '@chatq/contracts';
import {
  ChatRow,
  MessageRow,
  QueuedMessageRow,
  toChat,
  toMessage,
  toQueuedMessage,
  toTurn,
  TurnRow,
} from '@chatq/chat-core';
import { z } from 'zod';
import type { Refused } from './results.ts';

/*
 * What each change to a chat can come to, one union per operation, and the schemas that turn the
 * JSON of its chatq_* function (infra/sql/functions) into it. The schemas are the contract with SQL:
 * a result they do not accept is an InternalError, never a half-filled object.
 */

/** A live turn a change cancelled, and the partial reply it kept. */
export interface CancelledTurn {
  turn_id: string;
  generation: number;
  message?: Message;
}

/** A chat created without a first message. */
export interface ChatCreated {
  kind: 'created';
  chat: Chat;
}

/** The change started a turn to answer `message` (a create with content, a send, an edit). */
export interface TurnStarted {
  kind: 'started';
  chat: Chat;
  message: Message;
  turn: Turn;
  /** The live turn an edit superseded: its provider call must stop. */
  superseded_turn_id?: string;
  /** The live turn an interrupting send cancelled. */
  cancelled?: CancelledTurn;
}

/** A send that waits behind the live turn. */
export interface MessageQueued {
  kind: 'queued';
  chat: Chat;
  queued_message: QueuedMessage;
}

/** The live turn was cancelled; `next` is the queued message that started in its place. */
export interface TurnInterrupted {
  kind: 'interrupted';
  chat: Chat;
  cancelled: CancelledTurn;
  next?: { message: Message; turn: Turn };
}

/** The chat's own fields changed (title, archive, prompt, tools). */
export interface ChatUpdated {
  kind: 'updated';
  chat: Chat;
}

/** A queued message was taken off the queue before it ran. */
export interface MessageUnqueued {
  kind: 'unqueued';
  chat_id: string;
  queued_message_id: string;
}

/** A waiting turn got answers (tool outputs, approval decisions); `resume` is set when it was queued again. */
export interface ToolsAnswered {
  kind: 'answered';
  chat: Chat;
  turn: Turn;
  /** The results stored now, as the tool.result events tell them. */
  results: { tool_call_id: string; name: string; input: unknown; output: unknown; is_error: boolean }[];
  /** The turn's resume count when this answer queued it again (its job id names it). */
  resume?: number;
}

/** The chat is gone; `live_turn_id` is the turn that was queued or running in it. */
export interface ChatDeleted {
  kind: 'deleted';
  chat_id: string;
  live_turn_id?: string;
}

export type CreateResult = ChatCreated | TurnStarted | Refused;
export type SendResult = TurnStarted | MessageQueued | Refused;
export type EditResult = TurnStarted | Refused;
export type InterruptResult = TurnInterrupted | Refused;
export type DeleteQueuedResult = MessageUnqueued | Refused;
export type DeleteChatResult = ChatDeleted | Refused;
export type UpdateResult = ChatUpdated | Refused;
export type AnswerResult = ToolsAnswered | Refused;

/** A change that went through, whichever operation made it: what `noticeOf` announces. */
export type Change =
  ChatCreated | TurnStarted | MessageQueued | TurnInterrupted | MessageUnqueued | ChatDeleted | ToolsAnswered;

const CancelledJson = z
  .object({ turn_id: z.string(), generation: z.number().int(), message: MessageRow.nullish() })
  .transform((j): CancelledTurn => ({
    turn_id: j.turn_id,
    generation: j.generation,
    ...(j.message ? { message: toMessage(j.message) } : {}),
  }));

const NextJson = z
  .object({ message: MessageRow, turn: TurnRow })
  .transform((j) => ({ message: toMessage(j.message), turn: toTurn(j.turn) }));

/** chatq_begin_turn's result, plus the turn an interrupting send cancelled (null when none was live). */
const TurnStartedJson = z
  .object({
    chat: ChatRow,
    message: MessageRow,
    turn: TurnRow,
    superseded_turn_id: z.string().nullish(),
    cancelled: CancelledJson.nullish(),
  })
  .transform((j): TurnStarted => ({
    kind: 'started',
    chat: toChat(j.chat),
    message: toMessage(j.message),
    turn: toTurn(j.turn),
    ...(j.superseded_turn_id ? { superseded_turn_id: j.superseded_turn_id } : {}),
    ...(j.cancelled ? { cancelled: j.cancelled } : {}),
  }));

/** Strict: a chat with a half-written first message must not pass for an empty chat. */
const ChatCreatedJson = z
  .strictObject({ chat: ChatRow })
  .transform((j): ChatCreated => ({ kind: 'created', chat: toChat(j.chat) }));

const MessageQueuedJson = z
  .object({ chat: ChatRow, queued_message: QueuedMessageRow })
  .transform((j): MessageQueued => ({
    kind: 'queued',
    chat: toChat(j.chat),
    queued_message: toQueuedMessage(j.queued_message),
  }));

/** chatq_create_chat */
export const CreateChatJson = z.union([TurnStartedJson, ChatCreatedJson]);
/** chatq_send_message */
export const SendMessageJson = z.union([TurnStartedJson, MessageQueuedJson]);
/** chatq_edit_message */
export const EditMessageJson = TurnStartedJson;
/** chatq_interrupt_chat: chatq_after_turn's result plus what was cancelled. */
export const InterruptChatJson = z
  .object({ chat: ChatRow, cancelled: CancelledJson, next: NextJson.optional() })
  .transform((j): TurnInterrupted => ({
    kind: 'interrupted',
    chat: toChat(j.chat),
    cancelled: j.cancelled,
    ...(j.next ? { next: j.next } : {}),
  }));
/** chatq_update_chat */
export const UpdateChatJson = z
  .strictObject({ chat: ChatRow })
  .transform((j): ChatUpdated => ({ kind: 'updated', chat: toChat(j.chat) }));
/** chatq_delete_queued_message */
export const DeleteQueuedJson = z.object({ deleted: z.string() });
/** chatq_submit_tool_outputs, chatq_decide_approvals */
export const AnswerJson = z
  .object({
    chat: ChatRow,
    turn: TurnRow.extend({ resumes: z.number().int() }),
    results: z.array(
      z.object({
        tool_call_id: z.string(),
        name: z.string(),
        input: z.unknown(),
        output: z.unknown(),
        is_error: z.boolean(),
      }),
    ),
    resumed: z.boolean(),
  })
  .transform((j): ToolsAnswered => ({
    kind: 'answered',
    chat: toChat(j.chat),
    turn: toTurn(j.turn),
    results: j.results,
    ...(j.resumed ? { resume: j.turn.resumes } : {}),
  }));
