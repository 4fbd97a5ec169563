import type {
  Chat,
  CreateChatBody,
  EditMessageBody,
  ListChatsQuery,
  Message,
  PageOf,
  PageQuery,
  SendMessageBody,
  Turn,
  UpdateChatBody,
  User,
} from '@chatq/contracts';
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { ChangeRefusal, ChangeResult, ChatsRepository } from '../db/chats.repository.ts';
import type { TurnEnqueuer } from '../queue/turn-enqueuer.ts';
import {
  AppError,
  BadRequestError,
  ChatArchivedError,
  ChatBusyError,
  ChatNotFoundError,
  InvalidModelConfigError,
  NotFoundError,
} from './errors.ts';
import { pageRequest, seqCursor, toPage, uuidCursor } from './pagination.ts';

/** Maps each refusal of a chat state change to the error the caller sees. */
export function refusalError(refusal: ChangeRefusal): AppError {
  switch (refusal) {
    case 'chat_not_found':
      return new ChatNotFoundError();
    case 'chat_busy':
      return new ChatBusyError();
    case 'chat_archived':
      return new ChatArchivedError();
    case 'invalid_model':
      return new InvalidModelConfigError();
    case 'no_default_model':
      return new BadRequestError('No default model config is set; pass model_config_id.');
    case 'message_not_found':
      return new NotFoundError('Chat message not found.');
    case 'not_user_message':
      return new BadRequestError('Only user messages can be edited.');
  }
}

/** A chat's title when the caller gives none: the start of its first message. */
export function defaultTitle(content: string | undefined): string {
  if (!content) return 'New chat';
  const line = content.trim().split('\n', 1)[0]!.replace(/\s+/g, ' ');
  return line.length <= 60 ? line : `${line.slice(0, 59)}…`;
}

function unwrap(result: ChangeResult) {
  if (result.error) throw refusalError(result.error);
  return result;
}

const UNIQUE_VIOLATION = '23505';

/** Two requests raced for one chat and the database let one through: the other sees a busy chat. */
function busyOnRace(err: unknown): never {
  if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new ChatBusyError();
  throw err;
}

/**
 * The rules of chats and messages. Every change is one database call (lock, check, write) and, when
 * it started a turn, one enqueue after the commit.
 */
export class ChatsService {
  private readonly chats: ChatsRepository;
  private readonly enqueuer: TurnEnqueuer;

  constructor(chats: ChatsRepository, enqueuer: TurnEnqueuer) {
    this.chats = chats;
    this.enqueuer = enqueuer;
  }

  async create(
    actor: User,
    body: CreateChatBody,
    log: Logger,
  ): Promise<{ chat: Chat; message?: Message; turn?: Turn }> {
    const result = unwrap(
      await this.chats.create(
        actor.id,
        body.title?.trim() || defaultTitle(body.content),
        body.model_config_id ?? null,
        body.content ?? null,
      ),
    );
    if (result.turn) await this.enqueuer.enqueue(result.turn, log);
    return result;
  }

  async send(
    actor: User,
    chatId: string,
    body: SendMessageBody,
    log: Logger,
  ): Promise<{ message: Message; turn: Turn }> {
    const result = unwrap(
      await this.chats.send(actor.id, chatId, body.content, body.model_config_id ?? null).catch(busyOnRace),
    );
    await this.enqueuer.enqueue(result.turn!, log);
    return { message: result.message!, turn: result.turn! };
  }

  async edit(
    actor: User,
    chatId: string,
    messageId: string,
    body: EditMessageBody,
    log: Logger,
  ): Promise<{ message: Message; turn: Turn }> {
    const result = unwrap(
      await this.chats.edit(actor.id, chatId, messageId, body.content, body.model_config_id ?? null).catch(busyOnRace),
    );
    await this.enqueuer.enqueue(result.turn!, log);
    return { message: result.message!, turn: result.turn! };
  }

  async get(actor: User, chatId: string): Promise<Chat> {
    return (await this.chats.find(actor.id, chatId)) ?? Promise.reject(new ChatNotFoundError());
  }

  async list(actor: User, query: ListChatsQuery): Promise<PageOf<Chat>> {
    const page = pageRequest(query, uuidCursor);
    const filter = { status: query.status, archived: query.archived, q: query.q };
    return toPage(await this.chats.list(actor.id, filter, page), page, (chat) => chat.id, uuidCursor);
  }

  async messages(actor: User, chatId: string, query: PageQuery): Promise<PageOf<Message>> {
    const page = pageRequest(query, seqCursor);
    const rows = await this.chats.listMessages(actor.id, chatId, page);
    if (!rows) throw new ChatNotFoundError();
    const { data, ...rest } = toPage(rows, page, (r) => r.seq, seqCursor);
    return { data: data.map((r) => r.message), ...rest };
  }

  async update(actor: User, chatId: string, body: UpdateChatBody): Promise<Chat> {
    const patch = { title: body.title?.trim(), archived: body.archived };
    return (await this.chats.update(actor.id, chatId, patch)) ?? Promise.reject(new ChatNotFoundError());
  }

  /** For good: the chat, its messages and turns. A turn in flight is dropped with it. */
  async delete(actor: User, chatId: string): Promise<void> {
    if (!(await this.chats.delete(actor.id, chatId))) throw new ChatNotFoundError();
  }

  async turn(actor: User, chatId: string, turnId: string): Promise<Turn> {
    return (
      (await this.chats.findTurn(actor.id, chatId, turnId)) ?? Promise.reject(new NotFoundError('Turn not found.'))
    );
  }
}
