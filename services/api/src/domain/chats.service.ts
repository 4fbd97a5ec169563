import {
  type Chat,
  type CreateChatBody,
  type DecideApprovalsBody,
  type EditMessageBody,
  type ListChatsQuery,
  MAX_QUEUED_MESSAGES,
  type Message,
  type PageOf,
  type PageQuery,
  type QueuedMessage,
  type SendMessageBody,
  type SubmitToolOutputsBody,
  type Turn,
  type UpdateChatBody,
  type User,
} from '@chatq/contracts';
import type { ChangeRefusal } from '@chatq/chat-core';
import type { Sql } from '@chatq/platform';
import type { ChatAgent, ChatsRepository, HistoryEntry, SeenReply, TurnAnnotation } from '../db/chats.repository.ts';
import { transaction } from '../db/transaction.ts';
import type { Change, ChatUpdated } from '../db/chats.results.ts';
import type { Refused } from '../db/results.ts';
import type { ChatEventPublisher } from '../events/publisher.ts';
import type { TurnEnqueuer } from '../queue/turn-enqueuer.ts';
import { noticeOf } from './change-events.ts';
import {
  AppError,
  BadRequestError,
  ChatArchivedError,
  ChatNotFoundError,
  ConflictError,
  InvalidModelConfigError,
  NotFoundError,
  NotInterruptibleError,
  QueueFullError,
  SpendLimitError,
} from './errors.ts';
import type { Logger } from './logger.ts';
import { pageRequest, seqCursor, toPage, uuidCursor } from './pagination.ts';

/** Maps each refusal of a chat state change to the error the caller sees. */
export function refusalError(refusal: ChangeRefusal): AppError {
  switch (refusal) {
    case 'chat_not_found':
      return new ChatNotFoundError();
    case 'chat_archived':
      return new ChatArchivedError();
    case 'invalid_model':
      return new InvalidModelConfigError();
    case 'invalid_tool':
      return new BadRequestError('Invalid tool ID.');
    case 'no_default_model':
      return new BadRequestError('No default model config is set; pass model_config_id.');
    case 'message_not_found':
      return new NotFoundError('Chat message not found.');
    case 'not_user_message':
      return new BadRequestError('Only user messages can be edited.');
    case 'queue_full':
      return new QueueFullError();
    case 'not_interruptible':
      return new NotInterruptibleError();
    case 'queued_message_not_found':
      return new NotFoundError('Queued message not found.');
    case 'turn_not_found':
      return new NotFoundError('Turn not found.');
    case 'unknown_tool_call':
      return new BadRequestError('Unknown tool call ID.');
    case 'turn_not_waiting_outputs':
      return new ConflictError('Turn is not waiting for tool outputs.');
    case 'turn_not_awaiting_approval':
      return new ConflictError('Turn is not awaiting approval.');
    case 'spend_limit':
      return new SpendLimitError();
  }
}

/** A chat's title when the caller gives none: the start of its first message. */
export function defaultTitle(content: string | undefined): string {
  if (!content) return 'New chat';
  const line = content.trim().split('\n', 1)[0]!.replace(/\s+/g, ' ').trim();
  return line.length <= 60 ? line : `${line.slice(0, 59)}…`;
}

/** Counts refusals the caller's spend limit made (`chatq_spend_refusals_total`). */
export interface SpendRefusals {
  inc(): void;
}

/** Responses recorded under Idempotency-Keys, as far as deleting a chat must erase them. */
export interface ChatReplies {
  /** Erases the owner's recorded responses about the chat; runs in the deletion's transaction. */
  erase(ownerId: string, chatId: string): Promise<void>;
}

/** A send either started a turn or waits behind the live one. */
export type SendOutcome = { message: Message; turn: Turn } | { queued_message: QueuedMessage };

/**
 * The rules of chats and messages. Every change is one database call (lock, check, write); what it
 * did is announced (events, fences, aborts, the enqueue of the turn it started) only once its
 * transaction commits: with an Idempotency-Key that is the request's, else the call's own.
 * Interrupts also freeze the live reply first, so the partial text they keep is exactly what
 * clients were streamed.
 */
export class ChatsService {
  private readonly sql: Sql;
  private readonly chats: ChatsRepository;
  private readonly enqueuer: TurnEnqueuer;
  private readonly events: ChatEventPublisher;
  private readonly replies: ChatReplies;
  private readonly spendRefusals?: SpendRefusals;

  constructor(deps: {
    sql: Sql;
    chats: ChatsRepository;
    enqueuer: TurnEnqueuer;
    events: ChatEventPublisher;
    replies: ChatReplies;
    spendRefusals?: SpendRefusals;
  }) {
    this.sql = deps.sql;
    this.chats = deps.chats;
    this.enqueuer = deps.enqueuer;
    this.events = deps.events;
    this.replies = deps.replies;
    this.spendRefusals = deps.spendRefusals;
  }

  /** The change, or the error its refusal means to the caller. */
  private accepted<T extends Change | ChatUpdated>(result: T | Refused): T {
    if (result.kind !== 'refused') return result;
    if (result.refusal === 'spend_limit') this.spendRefusals?.inc();
    throw refusalError(result.refusal);
  }

  async create(
    actor: User,
    body: CreateChatBody,
    log: Logger,
  ): Promise<{ chat: Chat; message?: Message; turn?: Turn }> {
    const title = body.title?.trim() || defaultTitle(body.content);
    const result = this.accepted(
      await this.chats.create(actor.id, title, body.model_config_id ?? null, body.content ?? null, {
        system_prompt: body.system_prompt ?? null,
        tool_ids: body.tool_ids ?? [],
        client_tools: body.client_tools ?? [],
      }),
    );
    await this.announce(actor, result, log);
    return result.kind === 'started'
      ? { chat: result.chat, message: result.message, turn: result.turn }
      : { chat: result.chat };
  }

  /**
   * A chat whose conversation is `history` (the OpenAI facade's requests), and the turn that answers
   * its last message; `annotation` is what the facade records on that turn.
   */
  async createFromHistory(
    actor: User,
    chat: Pick<ChatAgent, 'system_prompt' | 'client_tools'> & { model: string; hidden: boolean },
    history: HistoryEntry[],
    annotation: TurnAnnotation,
    log: Logger,
  ): Promise<{ chat: Chat; turn: Turn }> {
    const first = history.find((m) => m.role === 'user')?.content;
    const title = defaultTitle(first);
    const result = this.accepted(await this.chats.createFromHistory(actor.id, { ...chat, title }, history, annotation));
    await this.announce(actor, result, log);
    return { chat: result.chat, turn: result.turn };
  }

  /** Records the OpenAI facade's settings on a turn it just started (call inside the starting transaction). */
  async annotateTurn(actor: User, turnId: string, annotation: TurnAnnotation): Promise<void> {
    await this.chats.annotateTurn(actor.id, turnId, annotation);
  }

  async send(actor: User, chatId: string, body: SendMessageBody, log: Logger): Promise<SendOutcome> {
    const interrupt = body.busy_behavior === 'interrupt';
    const seen = interrupt ? await this.holdOwn(actor, chatId, log) : null;
    const result = await this.releasingHold(actor, chatId, interrupt, log, async () =>
      this.accepted(
        await this.chats.send(
          actor.id,
          chatId,
          body.content,
          body.model_config_id ?? null,
          body.busy_behavior,
          MAX_QUEUED_MESSAGES,
          seen,
        ),
      ),
    );
    await this.announce(actor, result, log, interrupt);
    return result.kind === 'queued'
      ? { queued_message: result.queued_message }
      : { message: result.message, turn: result.turn };
  }

  async edit(
    actor: User,
    chatId: string,
    messageId: string,
    body: EditMessageBody,
    log: Logger,
  ): Promise<{ message: Message; turn: Turn }> {
    const result = this.accepted(
      await this.chats.edit(actor.id, chatId, messageId, body.content, body.model_config_id ?? null),
    );
    await this.announce(actor, result, log);
    return { message: result.message, turn: result.turn };
  }

  /** Cancels the live turn, keeping its partial reply; the queue then moves on. */
  async interrupt(actor: User, chatId: string, log: Logger): Promise<Chat> {
    const seen = await this.holdOwn(actor, chatId, log);
    const result = await this.releasingHold(actor, chatId, true, log, async () =>
      this.accepted(await this.chats.interrupt(actor.id, chatId, seen)),
    );
    await this.announce(actor, result, log, true);
    return result.chat;
  }

  /** The caller's results of client tool calls; the turn goes on once every pending call has one. */
  async submitToolOutputs(
    actor: User,
    chatId: string,
    turnId: string,
    body: SubmitToolOutputsBody,
    log: Logger,
  ): Promise<Turn> {
    const result = this.accepted(await this.chats.submitToolOutputs(actor.id, chatId, turnId, body.outputs));
    await this.announce(actor, result, log);
    return result.turn;
  }

  /** The owner's decisions on calls that need approval; the turn goes on once every pending call has one. */
  async decideApprovals(
    actor: User,
    chatId: string,
    turnId: string,
    body: DecideApprovalsBody,
    log: Logger,
  ): Promise<Turn> {
    const result = this.accepted(await this.chats.decideApprovals(actor.id, chatId, turnId, body.decisions));
    await this.announce(actor, result, log);
    return result.turn;
  }

  async deleteQueued(actor: User, chatId: string, id: string, log: Logger): Promise<void> {
    await this.announce(actor, this.accepted(await this.chats.deleteQueued(actor.id, chatId, id)), log);
  }

  /**
   * Freezes the live reply of the caller's own chat for an interrupt. The owner is checked first:
   * another user's interrupt is a 404 that must not touch this chat's stream (a hold drops the
   * deltas the worker appends meanwhile). A chat's owner never changes, so the SQL function's own
   * check under the lock agrees with this one.
   */
  private async holdOwn(actor: User, chatId: string, log: Logger): Promise<SeenReply | null> {
    if (!(await this.chats.owns(actor.id, chatId))) throw new ChatNotFoundError();
    return this.events.hold(chatId, log);
  }

  /** Runs `change`; if it fails, lifts the hold an interrupt put on the live reply (once the request commits). */
  private async releasingHold<T>(
    actor: User,
    chatId: string,
    held: boolean,
    log: Logger,
    change: () => Promise<T>,
  ): Promise<T> {
    try {
      return await change();
    } catch (err) {
      if (held) await this.events.record(chatId, actor.id, [], { releaseHold: true }, log);
      throw err;
    }
  }

  /**
   * Tells clients and workers what a change did, and enqueues the turn it started, once the
   * transaction it ran in commits (publisher and enqueuer both defer to `afterCommit`). Both go
   * out together: one Redis round trip on the hot path. Older turns are fenced out of the event log,
   * and the worker running a cancelled or superseded turn is told to stop its provider call.
   */
  private async announce(actor: User, change: Change, log: Logger, releaseHold = false): Promise<void> {
    const { chatId, events, started, resumed, minGeneration, abort } = noticeOf(change);
    if (events.length === 0 && !abort && !releaseHold) return;
    await Promise.all([
      this.events.record(chatId, actor.id, events, { minGeneration, releaseHold, abort }, log),
      started ? this.enqueuer.enqueue(started.turn, log) : undefined,
      resumed ? this.enqueuer.enqueue(resumed.turn, log, resumed.resume) : undefined,
    ]);
  }

  async get(actor: User, chatId: string): Promise<Chat> {
    return (await this.chats.find(actor.id, chatId)) ?? Promise.reject(new ChatNotFoundError());
  }

  async list(actor: User, query: ListChatsQuery): Promise<PageOf<Chat>> {
    const page = pageRequest(query, uuidCursor);
    const filter = { status: query.status, archived: query.archived, q: query.q };
    return toPage(await this.chats.list(actor.id, filter, page), page, (chat) => chat.id, uuidCursor);
  }

  async messages(
    actor: User,
    chatId: string,
    query: PageQuery,
  ): Promise<PageOf<Message> & { queued: QueuedMessage[] }> {
    const page = pageRequest(query, seqCursor);
    const found = await this.chats.listMessages(actor.id, chatId, page);
    if (!found) throw new ChatNotFoundError();
    const { data, ...rest } = toPage(found.messages, page, (r) => r.seq, seqCursor);
    return { data: data.map((r) => r.message), ...rest, queued: found.queued };
  }

  /** Changes no turn, so announces nothing: clients that show a chat's fields read them on their next GET. */
  async update(actor: User, chatId: string, body: UpdateChatBody): Promise<Chat> {
    const { title, ...rest } = body;
    return this.accepted(
      await this.chats.update(actor.id, chatId, { ...rest, ...(title ? { title: title.trim() } : {}) }),
    ).chat;
  }

  /**
   * For good: the chat, its messages and turns, the responses recorded for idempotent requests about
   * it (their keys now replay a 404) and, once that commits, its event log. The worker running its
   * turn is told to stop.
   */
  async delete(actor: User, chatId: string, log: Logger): Promise<void> {
    await transaction(this.sql, async () => {
      // First: deleting the chat clears the records' link to it.
      await this.replies.erase(actor.id, chatId);
      const deleted = this.accepted(await this.chats.delete(actor.id, chatId));
      await this.events.erase(chatId, noticeOf(deleted).abort, log);
    });
  }

  async turn(actor: User, chatId: string, turnId: string): Promise<Turn> {
    return (
      (await this.chats.findTurn(actor.id, chatId, turnId)) ?? Promise.reject(new NotFoundError('Turn not found.'))
    );
  }
}
