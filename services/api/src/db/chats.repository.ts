import type { BusyBehavior, Chat, ChatStatus, Message, QueuedMessage, Turn } from '@chatq/contracts';
import {
  type ChatRow,
  type MessageRow,
  type QueuedMessageRow,
  toChat,
  toMessage,
  toQueuedMessage,
  toTurn,
  type TurnRow,
} from '@chatq/chat-core';
import { type Sql, type Tx } from '@chatq/platform';
import type { PageRequest } from '../domain/pagination.ts';
import { keyset } from './keyset.ts';

/** Why a chat state change was refused, as the chatq_* SQL functions report it (infra/sql/functions/refusal.sql). */
export type ChangeRefusal =
  | 'chat_not_found'
  | 'chat_busy'
  | 'chat_archived'
  | 'invalid_model'
  | 'no_default_model'
  | 'message_not_found'
  | 'not_user_message'
  | 'queue_full'
  | 'not_interruptible'
  | 'queued_message_not_found';

/** A live turn a change cancelled, and the partial reply it kept. */
export interface CancelledTurn {
  turn_id: string;
  generation: number;
  message?: Message;
}

/** What a change wrote. Which fields are set depends on the change. */
export interface ChangeOk {
  error?: undefined;
  chat: Chat;
  message?: Message;
  turn?: Turn;
  /** A send that waits behind the live turn. */
  queuedMessage?: QueuedMessage;
  /** The live turn this change superseded (edits): its provider call must stop. */
  supersededTurnId?: string;
  cancelled?: CancelledTurn;
  /** The queued message that started after a turn ended. */
  next?: { message: Message; turn: Turn };
}

/** Filters of a chat list; absent ones do not filter. */
export interface ChatFilter {
  status?: ChatStatus;
  archived?: boolean;
  /** Case-insensitive substring of the title. */
  q?: string;
}

/** A message with its position in the chat (the key of message pages). */
export interface SequencedMessage {
  seq: string;
  message: Message;
}

/** The outcome of a state change: the refusal, or what it wrote. */
export type ChangeResult = { error: ChangeRefusal } | ChangeOk;

interface ChangeJson {
  error?: ChangeRefusal;
  chat?: ChatRow;
  message?: MessageRow;
  turn?: TurnRow;
  queued_message?: QueuedMessageRow;
  superseded_turn_id?: string | null;
  cancelled?: { turn_id: string; generation: number; message: MessageRow | null } | null;
  next?: { message: MessageRow; turn: TurnRow };
}

function toChangeResult(json: ChangeJson): ChangeResult {
  if (json.error) return { error: json.error };
  return {
    chat: toChat(json.chat!),
    ...(json.message ? { message: toMessage(json.message) } : {}),
    ...(json.turn ? { turn: toTurn(json.turn) } : {}),
    ...(json.queued_message ? { queuedMessage: toQueuedMessage(json.queued_message) } : {}),
    ...(json.superseded_turn_id ? { supersededTurnId: json.superseded_turn_id } : {}),
    ...(json.cancelled
      ? {
          cancelled: {
            turn_id: json.cancelled.turn_id,
            generation: Number(json.cancelled.generation),
            ...(json.cancelled.message ? { message: toMessage(json.cancelled.message) } : {}),
          },
        }
      : {}),
    ...(json.next ? { next: { message: toMessage(json.next.message), turn: toTurn(json.next.turn) } } : {}),
  };
}

/** What an interrupt read from the event log before it changed the chat. */
export interface SeenReply {
  turnId: string | null;
  text: string;
}

const CHAT_COLUMNS = 'id, title, status, last_model_config_id, last_error, archived, created_at, updated_at';

/** `q` as a literal ILIKE pattern: its own % and _ match only themselves. */
const containing = (q: string) => `%${q.replace(/[\\%_]/g, '\\$&')}%`;

/**
 * Chats, their messages and turns. Changes go through the chatq_* functions (infra/sql/functions/):
 * each is one round trip that locks the chat row first, so the rules hold under concurrency.
 */
export class ChatsRepository {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  async create(
    owner: string,
    title: string,
    model: string | null,
    content: string | null,
    tx: Tx = this.sql,
  ): Promise<ChangeResult> {
    const [row] = await tx<{ r: ChangeJson }[]>`
      select chatq_create_chat(${owner}, ${title}, ${model}, ${content}) as r`;
    return toChangeResult(row!.r);
  }

  /** With `busy` = interrupt, `seen` is the live reply the caller froze (see ChatEventLog.hold). */
  async send(
    owner: string,
    chatId: string,
    content: string,
    model: string | null,
    busy: BusyBehavior,
    queueMax: number,
    seen: SeenReply | null,
    tx: Tx = this.sql,
  ): Promise<ChangeResult> {
    const [row] = await tx<{ r: ChangeJson }[]>`
      select chatq_send_message(${owner}, ${chatId}, ${content}, ${model}, ${busy}, ${queueMax},
                                ${seen?.turnId ?? null}, ${seen?.text ?? null}) as r`;
    return toChangeResult(row!.r);
  }

  async interrupt(owner: string, chatId: string, seen: SeenReply | null, tx: Tx = this.sql): Promise<ChangeResult> {
    const [row] = await tx<{ r: ChangeJson }[]>`
      select chatq_interrupt_chat(${owner}, ${chatId}, ${seen?.turnId ?? null}, ${seen?.text ?? null}) as r`;
    return toChangeResult(row!.r);
  }

  async deleteQueued(
    owner: string,
    chatId: string,
    id: string,
    tx: Tx = this.sql,
  ): Promise<{ error: ChangeRefusal } | { error?: undefined }> {
    const [row] = await tx<{ r: { error?: ChangeRefusal } }[]>`
      select chatq_delete_queued_message(${owner}, ${chatId}, ${id}) as r`;
    return row!.r.error ? { error: row!.r.error } : {};
  }

  async edit(
    owner: string,
    chatId: string,
    messageId: string,
    content: string,
    model: string | null,
    tx: Tx = this.sql,
  ): Promise<ChangeResult> {
    const [row] = await tx<{ r: ChangeJson }[]>`
      select chatq_edit_message(${owner}, ${chatId}, ${messageId}, ${content}, ${model}) as r`;
    return toChangeResult(row!.r);
  }

  async find(owner: string, chatId: string, tx: Tx = this.sql): Promise<Chat | undefined> {
    const [row] = await tx<ChatRow[]>`
      select ${tx.unsafe(CHAT_COLUMNS)} from chats where id = ${chatId} and owner_id = ${owner}`;
    return row && toChat(row);
  }

  /** One keyset page of the owner's chats, newest first (ids are time-ordered). */
  async list(owner: string, filter: ChatFilter, page: PageRequest<string>, tx: Tx = this.sql): Promise<Chat[]> {
    const { where, orderLimit } = keyset(tx, 'id', 'desc', page);
    const rows = await tx<ChatRow[]>`
      select ${tx.unsafe(CHAT_COLUMNS)} from chats
      where owner_id = ${owner}
        ${filter.status === undefined ? tx`` : tx`and status = ${filter.status}`}
        ${filter.archived === undefined ? tx`` : tx`and archived = ${filter.archived}`}
        ${filter.q === undefined ? tx`` : tx`and title ilike ${containing(filter.q)}`}
        ${where}
      ${orderLimit}`;
    return rows.map(toChat);
  }

  /**
   * Undefined when the chat is not the owner's; otherwise one keyset page of its live messages,
   * oldest first, and all its queued ones in the order they will run.
   */
  async listMessages(
    owner: string,
    chatId: string,
    page: PageRequest<string>,
    tx: Tx = this.sql,
  ): Promise<{ messages: SequencedMessage[]; queued: QueuedMessage[] } | undefined> {
    const { where, orderLimit } = keyset(tx, 'm.seq', 'asc', page);
    const rows = await tx<((MessageRow | { id: null }) & { queued: QueuedMessageRow[] })[]>`
      select m.id, m.seq, m.chat_id, m.role, m.content, m.model_config_id, m.usage, m.cost_micros,
             m.interrupted, m.created_at,
             coalesce((select jsonb_agg(to_jsonb(q) order by q.seq) from queued_messages q
                       where q.chat_id = c.id), '[]') as queued
      from chats c
      left join messages m on m.chat_id = c.id and m.deleted_at is null ${where}
      where c.id = ${chatId} and c.owner_id = ${owner}
      ${orderLimit}`;
    if (rows.length === 0) return undefined;
    return {
      messages: rows
        .filter((r): r is MessageRow & { queued: QueuedMessageRow[] } => r.id !== null)
        .map((r) => ({ seq: String(r.seq), message: toMessage(r) })),
      queued: rows[0]!.queued.map(toQueuedMessage),
    };
  }

  /** Renames and/or (un)archives; the update takes the row lock, so it orders with sends and edits. */
  async update(
    owner: string,
    chatId: string,
    patch: { title?: string; archived?: boolean },
    tx: Tx = this.sql,
  ): Promise<Chat | undefined> {
    const [row] = await tx<ChatRow[]>`
      update chats
      set title = coalesce(${patch.title ?? null}, title),
          archived = coalesce(${patch.archived ?? null}, archived),
          updated_at = now()
      where id = ${chatId} and owner_id = ${owner}
      returning ${tx.unsafe(CHAT_COLUMNS)}`;
    return row && toChat(row);
  }

  /**
   * Deletes the chat with its messages and turns (foreign keys cascade). A worker holding its turn
   * then finds it gone: claim answers `missing`, complete and fail answer `stale`, nothing is written.
   */
  async delete(owner: string, chatId: string, tx: Tx = this.sql): Promise<{ liveTurnId: string | null } | undefined> {
    const [row] = await tx<{ live_turn_id: string | null }[]>`
      with live as (
        select id from turns where chat_id = ${chatId} and status in ('queued', 'running')
      )
      delete from chats where id = ${chatId} and owner_id = ${owner}
      returning (select id from live) as live_turn_id`;
    return row && { liveTurnId: row.live_turn_id };
  }

  async findTurn(owner: string, chatId: string, turnId: string, tx: Tx = this.sql): Promise<Turn | undefined> {
    const [row] = await tx<TurnRow[]>`
      select t.id, t.chat_id, t.generation, t.status, t.model_config_id, t.error,
             t.created_at, t.started_at, t.finished_at
      from turns t join chats c on c.id = t.chat_id
      where t.id = ${turnId} and t.chat_id = ${chatId} and c.owner_id = ${owner}`;
    return row && toTurn(row);
  }
}
