import type { BusyBehavior, Chat, Message, QueuedMessage, Turn } from '@chatq/contracts';
import {
  type ChatRow,
  type MessageRow,
  type QueuedMessageRow,
  type Sql,
  toChat,
  toMessage,
  toQueuedMessage,
  toTurn,
  type TurnRow,
  type Tx,
} from '@chatq/platform';

/** Why a chat state change was refused, as the chatq_* SQL functions report it. */
export type ChangeRefusal =
  | 'chat_not_found'
  | 'chat_busy'
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

const CHAT_COLUMNS = 'id, title, status, last_model_config_id, last_error, created_at, updated_at';

/**
 * Chats, their messages and turns. Changes go through the chatq_* functions (infra/migrations):
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

  /** Newest first; `before` is an exclusive id bound (ids are time-ordered). */
  async list(owner: string, limit: number, before: string | null, tx: Tx = this.sql): Promise<Chat[]> {
    const rows = await tx<ChatRow[]>`
      select ${tx.unsafe(CHAT_COLUMNS)} from chats
      where owner_id = ${owner} ${before ? tx`and id < ${before}` : tx``}
      order by id desc
      limit ${limit}`;
    return rows.map(toChat);
  }

  /**
   * Undefined when the chat is not the owner's; otherwise its live messages, oldest first, and its
   * queued ones in the order they will run.
   */
  async listMessages(
    owner: string,
    chatId: string,
    tx: Tx = this.sql,
  ): Promise<{ data: Message[]; queued: QueuedMessage[] } | undefined> {
    const [row] = await tx<{ data: MessageRow[]; queued: QueuedMessageRow[] }[]>`
      select
        coalesce((select jsonb_agg(to_jsonb(m) order by m.seq) from messages m
                  where m.chat_id = c.id and m.deleted_at is null), '[]') as data,
        coalesce((select jsonb_agg(to_jsonb(q) order by q.seq) from queued_messages q
                  where q.chat_id = c.id), '[]') as queued
      from chats c
      where c.id = ${chatId} and c.owner_id = ${owner}`;
    return row && { data: row.data.map(toMessage), queued: row.queued.map(toQueuedMessage) };
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
