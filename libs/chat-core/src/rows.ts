import type { Chat, ChatStatus, Message, QueuedMessage, Turn, TurnStatus, Usage } from '@chatq/contracts';

/** Postgres hands back Date objects from columns and strings from jsonb: both become RFC 3339. */
export function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

export function isoOrUndefined(value: Date | string | null | undefined): string | undefined {
  return value == null ? undefined : iso(value);
}

/** A `chats` row, as a query or `to_jsonb` returns it. */
export interface ChatRow {
  id: string;
  title: string;
  status: ChatStatus;
  last_model_config_id: string;
  last_error: string | null;
  archived: boolean;
  created_at: Date | string;
  updated_at: Date | string;
}

export interface MessageRow {
  id: string;
  /** Position in the chat; present where a query selects it (message pages are keyed on it). */
  seq?: string | number;
  chat_id: string;
  role: 'user' | 'assistant';
  content: string;
  model_config_id: string | null;
  usage: Usage | null;
  cost_micros: number | string | null;
  interrupted?: boolean | null;
  created_at: Date | string;
}

export interface QueuedMessageRow {
  id: string;
  chat_id: string;
  content: string;
  model_config_id: string;
  created_at: Date | string;
}

export interface TurnRow {
  id: string;
  chat_id: string;
  generation: number | string;
  status: TurnStatus;
  model_config_id: string;
  error: string | null;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
}

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
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
});

export const toMessage = (r: MessageRow): Message => ({
  id: r.id,
  chat_id: r.chat_id,
  role: r.role,
  content: r.content,
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
  ...(r.error ? { error: r.error } : {}),
  created_at: iso(r.created_at),
  ...(r.started_at ? { started_at: isoOrUndefined(r.started_at) } : {}),
  ...(r.finished_at ? { finished_at: isoOrUndefined(r.finished_at) } : {}),
});
