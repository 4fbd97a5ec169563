import {
  type Chat,
  ChatStatus,
  FinishReason,
  InputSchema,
  type Message,
  MessagePart,
  MessageRole,
  PendingToolCall,
  type QueuedMessage,
  type Turn,
  TurnStatus,
  Usage,
} from '@chatq/contracts';
import { z } from 'zod';

/** Postgres hands back Date objects from columns and strings from jsonb: both become RFC 3339. */
export function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

export function isoOrUndefined(value: Date | string | null | undefined): string | undefined {
  return value == null ? undefined : iso(value);
}

/** A timestamp as a column (Date) or inside `to_jsonb` (RFC 3339 text) hands it back. */
const DbTime = z.union([z.date(), z.string()]);
/** bigint and numeric columns arrive as text; inside jsonb they are numbers. */
const DbNumber = z.union([z.number(), z.string()]);

/**
 * A client tool as a chat stores it: read for its shape, not checked again against the rules a
 * request must meet today (a stored chat must stay readable if those rules tighten).
 */
const ClientToolRow = z.object({ name: z.string(), description: z.string().optional(), input_schema: InputSchema });

/**
 * The rows the chatq_* SQL functions and the repositories return, as schemas: every JSON result of
 * a chatq_* call is parsed with them, so a function that changes its shape fails loudly at the
 * boundary instead of leaking `undefined` into the services. Unknown columns are stripped.
 */
export const ChatRow = z.object({
  id: z.string(),
  title: z.string(),
  status: ChatStatus,
  last_model_config_id: z.string(),
  last_error: z.string().nullable(),
  archived: z.boolean(),
  system_prompt: z.string().nullable(),
  tool_ids: z.array(z.string()),
  client_tools: z.array(ClientToolRow),
  created_at: DbTime,
  updated_at: DbTime,
});
/** A `chats` row, as a query or `to_jsonb` returns it. */
export type ChatRow = z.infer<typeof ChatRow>;

export const MessageRow = z.object({
  id: z.string(),
  /** Position in the chat; present where a query selects it (message pages are keyed on it). */
  seq: DbNumber.optional(),
  chat_id: z.string(),
  role: MessageRole,
  content: z.string(),
  /** Null for a message that is only its text. */
  parts: z.array(MessagePart).nullable(),
  model_config_id: z.string().nullable(),
  usage: Usage.nullable(),
  cost_micros: DbNumber.nullable(),
  interrupted: z.boolean().nullish(),
  created_at: DbTime,
});
export type MessageRow = z.infer<typeof MessageRow>;

export const QueuedMessageRow = z.object({
  id: z.string(),
  chat_id: z.string(),
  content: z.string(),
  model_config_id: z.string(),
  created_at: DbTime,
});
export type QueuedMessageRow = z.infer<typeof QueuedMessageRow>;

export const TurnRow = z.object({
  id: z.string(),
  chat_id: z.string(),
  generation: DbNumber,
  status: TurnStatus,
  model_config_id: z.string(),
  steps: DbNumber,
  finish_reason: FinishReason.nullable(),
  pending_tool_calls: z.array(PendingToolCall).nullable(),
  error: z.string().nullable(),
  created_at: DbTime,
  started_at: DbTime.nullable(),
  finished_at: DbTime.nullable(),
});
export type TurnRow = z.infer<typeof TurnRow>;

/**
 * Why a chat state change was refused: the one list of codes the chatq_* functions may return as
 * `{"error": code}`. infra/sql/functions keeps the same list (`chatq_refusal_codes()`), and a test
 * holds the two equal.
 */
export const CHANGE_REFUSALS = [
  'chat_not_found',
  'chat_archived',
  'invalid_model',
  'invalid_tool',
  'no_default_model',
  'message_not_found',
  'not_user_message',
  'queue_full',
  'not_interruptible',
  'queued_message_not_found',
  'turn_not_found',
  'unknown_tool_call',
  'turn_not_waiting_outputs',
  'turn_not_awaiting_approval',
  'spend_limit',
] as const;
export const ChangeRefusal = z.enum(CHANGE_REFUSALS);
export type ChangeRefusal = z.infer<typeof ChangeRefusal>;

/*
 * Rows to API shapes. The API and the workers both use these (the workers for event payloads), so a
 * message looks the same in a response and in an event.
 */

export const toChat = (r: ChatRow): Chat => ({
  id: r.id,
  title: r.title,
  status: r.status,
  last_model_config_id: r.last_model_config_id,
  last_error: r.last_error,
  archived: r.archived,
  system_prompt: r.system_prompt,
  tool_ids: r.tool_ids,
  client_tools: r.client_tools,
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
});

export const toMessage = (r: MessageRow): Message => ({
  id: r.id,
  chat_id: r.chat_id,
  role: r.role,
  content: r.content,
  ...(r.parts ? { parts: r.parts } : {}),
  model_config_id: r.model_config_id,
  created_at: iso(r.created_at),
  ...(r.role === 'assistant' && r.usage
    ? { usage: r.usage, cost_micros: r.cost_micros == null ? null : Number(r.cost_micros) }
    : {}),
  ...(r.interrupted ? { interrupted: true as const } : {}),
});

export const toQueuedMessage = (r: QueuedMessageRow): QueuedMessage => ({
  id: r.id,
  chat_id: r.chat_id,
  content: r.content,
  model_config_id: r.model_config_id,
  created_at: iso(r.created_at),
});

export const toTurn = (r: TurnRow): Turn => ({
  id: r.id,
  chat_id: r.chat_id,
  generation: Number(r.generation),
  status: r.status,
  model_config_id: r.model_config_id,
  steps: Number(r.steps),
  ...(r.finish_reason ? { finish_reason: r.finish_reason } : {}),
  ...(r.pending_tool_calls ? { pending_tool_calls: r.pending_tool_calls } : {}),
  ...(r.error ? { error: r.error } : {}),
  created_at: iso(r.created_at),
  ...(r.started_at ? { started_at: isoOrUndefined(r.started_at) } : {}),
  ...(r.finished_at ? { finished_at: isoOrUndefined(r.finished_at) } : {}),
});
