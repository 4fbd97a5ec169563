import type { Chat, ChatStatus, Message, Turn, TurnStatus, Usage } from '@chatq/contracts';
import type { Sql, Tx } from '@chatq/platform';
import type { PageRequest } from '../domain/pagination.ts';
import { keyset } from './keyset.ts';
import { iso, isoOrUndefined } from './rows.ts';

interface ChatRow {
  id: string;
  title: string;
  status: ChatStatus;
  last_model_config_id: string;
  last_error: string | null;
  archived: boolean;
  created_at: Date | string;
  updated_at: Date | string;
}

interface MessageRow {
  id: string;
  seq: string;
  chat_id: string;
  role: 'user' | 'assistant';
  content: string;
  model_config_id: string | null;
  usage: Usage | null;
  cost_micros: number | string | null;
  created_at: Date | string;
}

interface TurnRow {
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

/** Why a chat state change was refused, as the chatq_* SQL functions report it. */
export type ChangeRefusal =
  | 'chat_not_found'
  | 'chat_busy'
  | 'chat_archived'
  | 'invalid_model'
  | 'no_default_model'
  | 'message_not_found'
  | 'not_user_message';

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
export type ChangeResult = { error: ChangeRefusal } | { error?: undefined; chat: Chat; message?: Message; turn?: Turn };

interface ChangeJson {
  error?: ChangeRefusal;
  chat?: ChatRow;
  message?: MessageRow;
  turn?: TurnRow;
}

function toChangeResult(json: ChangeJson): ChangeResult {
  if (json.error) return { error: json.error };
  return {
    chat: toChat(json.chat!),
    ...(json.message ? { message: toMessage(json.message) } : {}),
    ...(json.turn ? { turn: toTurn(json.turn) } : {}),
  };
}

const CHAT_COLUMNS = 'id, title, status, last_model_config_id, last_error, archived, created_at, updated_at';

/** `q` as a literal ILIKE pattern: its own % and _ match only themselves. */
const containing = (q: string) => `%${q.replace(/[\\%_]/g, '\\$&')}%`;

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

  async send(owner: string, chatId: string, content: string, model: string | null, tx: Tx = this.sql) {
    const [row] = await tx<{ r: ChangeJson }[]>`
      select chatq_send_message(${owner}, ${chatId}, ${content}, ${model}) as r`;
    return toChangeResult(row!.r);
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
   * oldest first.
   */
  async listMessages(
    owner: string,
    chatId: string,
    page: PageRequest<string>,
    tx: Tx = this.sql,
  ): Promise<SequencedMessage[] | undefined> {
    const { where, orderLimit } = keyset(tx, 'm.seq', 'asc', page);
    const rows = await tx<(MessageRow | { id: null })[]>`
      select m.id, m.seq, m.chat_id, m.role, m.content, m.model_config_id, m.usage, m.cost_micros, m.created_at
      from chats c
      left join messages m on m.chat_id = c.id and m.deleted_at is null ${where}
      where c.id = ${chatId} and c.owner_id = ${owner}
      ${orderLimit}`;
    if (rows.length === 0) return undefined;
    return rows
      .filter((r): r is MessageRow => r.id !== null)
      .map((r) => ({ seq: String(r.seq), message: toMessage(r) }));
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
  async delete(owner: string, chatId: string, tx: Tx = this.sql): Promise<boolean> {
    const rows = await tx`delete from chats where id = ${chatId} and owner_id = ${owner} returning id`;
    return rows.length === 1;
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
