import type { Chat, Message, Turn, TurnStatus } from '@chatq/contracts';
import { type ChatRow, type MessageRow, toChat, toMessage, toTurn, type TurnRow } from '@chatq/chat-core';
import type { Sql } from '@chatq/platform';
import { scopedSql } from './transaction.ts';

/** A model config as the facade offers it. */
export interface FacadeModel {
  id: string;
  display_name: string | null;
  created_at: Date;
}

/** What the facade recorded on a turn it started (turns.facade, turns.options). */
export interface TurnFacade {
  options: Record<string, unknown> | null;
  facade: Record<string, unknown> | null;
}

/** A turn of the owner's with its chat and what the facade recorded on it. */
export interface OwnedTurn extends TurnFacade {
  turn: Turn;
  chat: Chat & { hidden: boolean };
}

const MESSAGE_COLUMNS =
  'm.id, m.seq, m.chat_id, m.role, m.content, m.parts, m.model_config_id, m.usage, m.cost_micros, m.interrupted, m.created_at';

/** Reads the facade needs beyond chatq's own: models by id or name, turns by id alone, a turn's messages. */
export class OpenAIRepository {
  private readonly sql: Sql;

  /** Queries join the caller's transaction, if any (see `transaction`). */
  constructor(sql: Sql) {
    this.sql = scopedSql(sql);
  }

  /** The usable model configs (enabled, not deleted, on a live provider), oldest first. */
  async models(): Promise<FacadeModel[]> {
    return this.sql<FacadeModel[]>`
      select id, display_name, created_at from model_configs
      where chatq_usable_model(id) is not null
      order by id
      limit 1000`;
  }

  /** A usable model config by id or display name (an id wins over another config's display name). */
  async model(name: string): Promise<FacadeModel | undefined> {
    const [row] = await this.sql<FacadeModel[]>`
      select id, display_name, created_at from model_configs
      where (id::text = ${name} or display_name = ${name}) and chatq_usable_model(id) is not null
      order by id::text = ${name} desc, id
      limit 1`;
    return row;
  }

  /** The owner's turn, with its chat; undefined when there is none (or it is another user's). */
  async turn(owner: string, turnId: string): Promise<OwnedTurn | undefined> {
    const [row] = await this.sql<
      (TurnRow & { options: Record<string, unknown> | null; facade: Record<string, unknown> | null } & {
        chat: ChatRow & { hidden: boolean };
      })[]
    >`
      select t.id, t.chat_id, t.generation, t.status, t.model_config_id, t.steps, t.finish_reason,
             t.pending_tool_calls, t.error, t.created_at, t.started_at, t.finished_at, t.options, t.facade,
             to_jsonb(c) as chat
      from turns t join chats c on c.id = t.chat_id
      where t.id = ${turnId} and c.owner_id = ${owner}`;
    if (!row) return undefined;
    return {
      turn: toTurn(row),
      chat: { ...toChat(row.chat), hidden: row.chat.hidden },
      options: row.options,
      facade: row.facade,
    };
  }

  /**
   * The first live user message after the one `turnId` answered: continuing from that turn edits it
   * (a branch); none means the turn is the chat's newest and continuing is a send.
   */
  async nextUserMessage(chatId: string, turnId: string): Promise<string | undefined> {
    const [row] = await this.sql<{ id: string }[]>`
      select m.id from messages m
      where m.chat_id = ${chatId} and m.deleted_at is null and m.role = 'user'
        and m.seq > coalesce(
          (select u.seq from turns t join messages u on u.id = t.user_message_id where t.id = ${turnId}),
          (select max(seq) from messages where turn_id = ${turnId}),
          9223372036854775807)
      order by m.seq
      limit 1`;
    return row?.id;
  }

  /** A turn's status; undefined once it (or its chat) is gone. */
  async turnStatus(turnId: string): Promise<TurnStatus | undefined> {
    const [row] = await this.sql<{ status: TurnStatus }[]>`select status from turns where id = ${turnId}`;
    return row?.status;
  }

  /**
   * The messages a turn wrote (its steps, tool results and reply), oldest first, and the user
   * message it answers. Bounded by the turn's steps (at most the model config's max_steps).
   */
  async turnMessages(turnId: string): Promise<Message[]> {
    const rows = await this.sql<MessageRow[]>`
      select ${this.sql.unsafe(MESSAGE_COLUMNS)} from messages m
      where m.turn_id = ${turnId} and m.deleted_at is null
      order by m.seq
      limit 1000`;
    return rows.map(toMessage);
  }

  /**
   * One page of a chat's live messages (the owner's; undefined when not), after the message
   * `afterId` in `order`, and whether more follow. With `beforeTurn`, only messages before that
   * turn's reply: what it answered.
   */
  async chatMessages(
    owner: string,
    chatId: string,
    page: { limit: number; order: 'asc' | 'desc'; afterId?: string; beforeTurnId?: string },
  ): Promise<{ messages: Message[]; hasMore: boolean } | undefined> {
    const chat = await this.sql`select 1 from chats where id = ${chatId} and owner_id = ${owner}`;
    if (chat.length === 0) return undefined;
    const asc = page.order === 'asc';
    const rows = await this.sql<MessageRow[]>`
      select ${this.sql.unsafe(MESSAGE_COLUMNS)} from messages m
      where m.chat_id = ${chatId} and m.deleted_at is null
        ${
          page.afterId
            ? asc
              ? this.sql`and m.seq > (select seq from messages where id = ${page.afterId} and chat_id = ${chatId})`
              : this.sql`and m.seq < (select seq from messages where id = ${page.afterId} and chat_id = ${chatId})`
            : this.sql``
        }
        ${
          page.beforeTurnId
            ? this.sql`and m.seq < coalesce(
                (select min(seq) from messages where turn_id = ${page.beforeTurnId}), 9223372036854775807)
              and (m.turn_id is null or m.turn_id <> ${page.beforeTurnId})`
            : this.sql``
        }
      order by m.seq ${asc ? this.sql`asc` : this.sql`desc`}
      limit ${page.limit + 1}`;
    return { messages: rows.slice(0, page.limit).map(toMessage), hasMore: rows.length > page.limit };
  }
}
