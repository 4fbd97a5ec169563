import type {
  BusyBehavior,
  Chat,
  ChatStatus,
  ClientTool,
  Message,
  MessagePart,
  QueuedMessage,
  Turn,
} from '@chatq/contracts';
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
import { NO_SPEND_DEFAULT, type Sql, type SpendDefault } from '@chatq/platform';
import type { PageRequest } from '../domain/pagination.ts';
import {
  CreateChatJson,
  type CreateResult,
  type DeleteChatResult,
  DeleteQueuedJson,
  type DeleteQueuedResult,
  EditMessageJson,
  type EditResult,
  AnswerJson,
  type AnswerResult,
  InterruptChatJson,
  type InterruptResult,
  SendMessageJson,
  type SendResult,
  UpdateChatJson,
  type UpdateResult,
} from './chats.results.ts';
import { keyset } from './keyset.ts';
import { parseChange } from './results.ts';
import { scopedSql } from './transaction.ts';

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

/** What an interrupt read from the event log before it changed the chat. */
export interface SeenReply {
  turnId: string | null;
  text: string;
}

/** What a new chat offers its model besides the conversation. */
export interface ChatAgent {
  system_prompt: string | null;
  tool_ids: string[];
  client_tools: ClientTool[];
}

/** One message of a history the caller sends (the OpenAI facade's), as chatq stores it. */
export interface HistoryEntry {
  role: 'user' | 'assistant' | 'tool';
  content: string;
  parts?: MessagePart[];
}

/** What the OpenAI facade records on a turn it starts (see chatq_annotate_turn). */
export interface TurnAnnotation {
  /** Call settings over the model config's: temperature, top_p, stop, seed, max_output_tokens. */
  options: Record<string, unknown>;
  /** What a Responses request asked for; null for chat completions. */
  facade: Record<string, unknown> | null;
}

/** A change of a chat's own fields: present keys are set (a null system_prompt clears it). */
export type ChatPatch = Partial<ChatAgent & { title: string; archived: boolean }>;

const CHAT_COLUMNS =
  'id, title, status, last_model_config_id, last_error, archived, system_prompt, tool_ids, client_tools, ' +
  'created_at, updated_at';

/** `q` as a literal ILIKE pattern: its own % and _ match only themselves. */
const containing = (q: string) => `%${q.replace(/[\\%_]/g, '\\$&')}%`;

/**
 * Chats, their messages and turns. Changes go through the chatq_* functions (infra/sql/functions):
 * each is one round trip that locks the chat row first, so the rules hold under concurrency.
 */
export class ChatsRepository {
  private readonly sql: Sql;
  private readonly spend: SpendDefault;

  /**
   * Queries join the caller's transaction, if any (see `transaction`). `spend` is the server's
   * default spend limit, which the changes that start turns check against users without their own.
   */
  constructor(sql: Sql, spend: SpendDefault = NO_SPEND_DEFAULT) {
    this.sql = scopedSql(sql);
    this.spend = spend;
  }

  /** The trailing arguments of the chatq_* functions that reserve spend. */
  private spendArgs() {
    return this.sql`${this.spend.micros}::bigint, ${this.spend.period}::text`;
  }

  async create(
    owner: string,
    title: string,
    model: string | null,
    content: string | null,
    agent: ChatAgent,
  ): Promise<CreateResult> {
    const [row] = await this.sql<{ r: unknown }[]>`
      select chatq_create_chat(${owner}, ${title}, ${model}, ${content}, ${agent.system_prompt},
                               ${agent.tool_ids}::uuid[], ${this.sql.json(agent.client_tools as never)},
                               ${this.spendArgs()}) as r`;
    return parseChange('chatq_create_chat', CreateChatJson, row?.r);
  }

  /**
   * A chat whose conversation is `history` and the turn that answers it (the OpenAI facade's; see
   * chatq_create_chat_from_history): hidden ones stay out of chat lists.
   */
  async createFromHistory(
    owner: string,
    chat: { title: string; model: string; system_prompt: string | null; client_tools: ClientTool[]; hidden: boolean },
    history: HistoryEntry[],
    turn: TurnAnnotation,
  ): Promise<EditResult> {
    const [row] = await this.sql<{ r: unknown }[]>`
      select chatq_create_chat_from_history(${owner}, ${chat.title}, ${chat.model}, ${chat.system_prompt},
               ${this.sql.json(chat.client_tools as never)}, ${this.sql.json(history as never)}, ${chat.hidden},
               ${this.sql.json(turn.options as never)}, ${this.jsonOrNull(turn.facade)}, ${this.spendArgs()}) as r`;
    return parseChange('chatq_create_chat_from_history', EditMessageJson, row?.r);
  }

  /** Records the facade's settings on a turn it just started, in the same transaction. */
  async annotateTurn(owner: string, turnId: string, turn: TurnAnnotation): Promise<void> {
    await this.sql`
      select chatq_annotate_turn(${owner}, ${turnId}, ${this.sql.json(turn.options as never)},
                                 ${this.jsonOrNull(turn.facade)})`;
  }

  private jsonOrNull(value: Record<string, unknown> | null) {
    return value === null ? null : this.sql.json(value as never);
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
  ): Promise<SendResult> {
    const [row] = await this.sql<{ r: unknown }[]>`
      select chatq_send_message(${owner}, ${chatId}, ${content}, ${model}, ${busy}, ${queueMax},
                                ${seen?.turnId ?? null}, ${seen?.text ?? null}, ${this.spendArgs()}) as r`;
    return parseChange('chatq_send_message', SendMessageJson, row?.r);
  }

  /** The caller's results of a waiting turn's client tool calls. */
  async submitToolOutputs(owner: string, chatId: string, turnId: string, outputs: unknown[]): Promise<AnswerResult> {
    const [row] = await this.sql<{ r: unknown }[]>`
      select chatq_submit_tool_outputs(${owner}, ${chatId}, ${turnId}, ${this.sql.json(outputs as never)}) as r`;
    return parseChange('chatq_submit_tool_outputs', AnswerJson, row?.r);
  }

  /** The owner's decisions on a waiting turn's calls that need approval. */
  async decideApprovals(owner: string, chatId: string, turnId: string, decisions: unknown[]): Promise<AnswerResult> {
    const [row] = await this.sql<{ r: unknown }[]>`
      select chatq_decide_approvals(${owner}, ${chatId}, ${turnId}, ${this.sql.json(decisions as never)}) as r`;
    return parseChange('chatq_decide_approvals', AnswerJson, row?.r);
  }

  async interrupt(owner: string, chatId: string, seen: SeenReply | null): Promise<InterruptResult> {
    const [row] = await this.sql<{ r: unknown }[]>`
      select chatq_interrupt_chat(${owner}, ${chatId}, ${seen?.turnId ?? null}, ${seen?.text ?? null}) as r`;
    return parseChange('chatq_interrupt_chat', InterruptChatJson, row?.r);
  }

  async deleteQueued(owner: string, chatId: string, id: string): Promise<DeleteQueuedResult> {
    const [row] = await this.sql<{ r: unknown }[]>`
      select chatq_delete_queued_message(${owner}, ${chatId}, ${id}) as r`;
    const result = parseChange('chatq_delete_queued_message', DeleteQueuedJson, row?.r);
    return 'kind' in result ? result : { kind: 'unqueued', chat_id: chatId, queued_message_id: result.deleted };
  }

  async edit(
    owner: string,
    chatId: string,
    messageId: string,
    content: string,
    model: string | null,
  ): Promise<EditResult> {
    const [row] = await this.sql<{ r: unknown }[]>`
      select chatq_edit_message(${owner}, ${chatId}, ${messageId}, ${content}, ${model}, ${this.spendArgs()}) as r`;
    return parseChange('chatq_edit_message', EditMessageJson, row?.r);
  }

  /** Whether the chat exists and is the owner's. */
  async owns(owner: string, chatId: string): Promise<boolean> {
    const rows = await this.sql`select 1 from chats where id = ${chatId} and owner_id = ${owner}`;
    return rows.length > 0;
  }

  async find(owner: string, chatId: string): Promise<Chat | undefined> {
    const [row] = await this.sql<ChatRow[]>`
      select ${this.sql.unsafe(CHAT_COLUMNS)} from chats where id = ${chatId} and owner_id = ${owner}`;
    return row && toChat(row);
  }

  /**
   * One keyset page of the owner's chats, newest first (ids are time-ordered). The owner is compared
   * with a subquery's value, which the planner cannot look into: knowing that one owner holds a
   * large share of all chats, it would walk the primary key down from the newest chat and filter,
   * reading every newer chat of everyone else when that owner's are all old
   * (test/db/list-plans.test.ts). Unseen, the owner gets the owner index.
   */
  async list(owner: string, filter: ChatFilter, page: PageRequest<string>): Promise<Chat[]> {
    const { where, orderLimit } = keyset(this.sql, 'id', 'desc', page);
    const rows = await this.sql<ChatRow[]>`
      select ${this.sql.unsafe(CHAT_COLUMNS)} from chats
      where owner_id = (select ${owner}::uuid) and not hidden
        ${filter.status === undefined ? this.sql`` : this.sql`and status = ${filter.status}`}
        ${filter.archived === undefined ? this.sql`` : this.sql`and archived = ${filter.archived}`}
        ${filter.q === undefined ? this.sql`` : this.sql`and title ilike ${containing(filter.q)}`}
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
  ): Promise<{ messages: SequencedMessage[]; queued: QueuedMessage[] } | undefined> {
    const { where, orderLimit } = keyset(this.sql, 'm.seq', 'asc', page);
    // The page is cut inside the lateral subquery, where messages_chat_live_idx hands the chat's
    // messages over in order and the limit stops the walk; a plain join would read the whole
    // chat and sort it. Outside, only the page's rows are put back in order.
    const rows = await this.sql<((MessageRow | { id: null }) & { queued: QueuedMessageRow[] })[]>`
      select m.*,
             coalesce((select jsonb_agg(to_jsonb(q) order by q.seq) from queued_messages q
                       where q.chat_id = c.id), '[]') as queued
      from chats c
      left join lateral (
        select m.id, m.seq, m.chat_id, m.role, m.content, m.parts, m.model_config_id, m.usage, m.cost_micros,
               m.interrupted, m.created_at
        from messages m
        where m.chat_id = c.id and m.deleted_at is null ${where}
        ${orderLimit}
      ) m on true
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

  /** Sets what `patch` names; chatq_update_chat checks tool ids under the chat's lock. */
  async update(owner: string, chatId: string, patch: ChatPatch): Promise<UpdateResult> {
    const [row] = await this.sql<{ r: unknown }[]>`
      select chatq_update_chat(${owner}, ${chatId}, ${this.sql.json(patch as never)}) as r`;
    return parseChange('chatq_update_chat', UpdateChatJson, row?.r);
  }

  /**
   * Deletes the chat with its messages and turns (foreign keys cascade). A worker holding its turn
   * then finds it gone: claim answers `missing`, complete and fail answer `stale`, nothing is written.
   */
  async delete(owner: string, chatId: string): Promise<DeleteChatResult> {
    const [row] = await this.sql<{ live_turn_id: string | null }[]>`
      with live as (
        select id from turns where chat_id = ${chatId} and chatq_turn_is_live(status)
      )
      delete from chats where id = ${chatId} and owner_id = ${owner}
      returning (select id from live) as live_turn_id`;
    if (!row) return { kind: 'refused', refusal: 'chat_not_found' };
    return { kind: 'deleted', chat_id: chatId, ...(row.live_turn_id ? { live_turn_id: row.live_turn_id } : {}) };
  }

  async findTurn(owner: string, chatId: string, turnId: string): Promise<Turn | undefined> {
    const [row] = await this.sql<TurnRow[]>`
      select t.id, t.chat_id, t.generation, t.status, t.model_config_id, t.steps, t.finish_reason,
             t.pending_tool_calls, t.error,
             t.created_at, t.started_at, t.finished_at
      from turns t join chats c on c.id = t.chat_id
      where t.id = ${turnId} and t.chat_id = ${chatId} and c.owner_id = ${owner}`;
    return row && toTurn(row);
  }
}
