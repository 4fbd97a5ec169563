import type { Chat, ChatStatus, Message, Turn, TurnStatus, Usage } from '@chatq/contracts';
import type { Sql, Tx } from '@chatq/platform';
import { iso, isoOrUndefined } from './rows.ts';

interface ChatRow {
  id: string;
  title: string;
  status: ChatStatus;
  last_model_config_id: string;
  last_error: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

interface MessageRow {
  id: string;
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
  'chat_not_found' | 'chat_busy' | 'invalid_model' | 'no_default_model' | 'message_not_found' | 'not_user_message';

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

  /** Newest first; `before` is an exclusive id bound (ids are time-ordered). */
  async list(owner: string, limit: number, before: string | null, tx: Tx = this.sql): Promise<Chat[]> {
    const rows = await tx<ChatRow[]>`
      select ${tx.unsafe(CHAT_COLUMNS)} from chats
      where owner_id = ${owner} ${before ? tx`and id < ${before}` : tx``}
      order by id desc
      limit ${limit}`;
    return rows.map(toChat);
  }

  /** Undefined when the chat is not the owner's; otherwise its live messages, oldest first. */
  async listMessages(owner: string, chatId: string, tx: Tx = this.sql): Promise<Message[] | undefined> {
    const rows = await tx<(MessageRow | { id: null })[]>`
      select m.id, m.chat_id, m.role, m.content, m.model_config_id, m.usage, m.cost_micros, m.created_at
      from chats c
      left join messages m on m.chat_id = c.id and m.deleted_at is null
      where c.id = ${chatId} and c.owner_id = ${owner}
      order by m.seq`;
    if (rows.length === 0) return undefined;
    return rows.filter((r): r is MessageRow => r.id !== null).map(toMessage);
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
