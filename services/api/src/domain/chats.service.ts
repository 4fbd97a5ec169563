import type { Chat, CreateChatBody, EditMessageBody, Message, SendMessageBody, Turn, User } from '@chatq/contracts';
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { ChangeRefusal, ChangeResult, ChatsRepository } from '../db/chats.repository.ts';
import type { TurnEnqueuer } from '../queue/turn-enqueuer.ts';
import {
  AppError,
  BadRequestError,
  ChatBusyError,
  ChatNotFoundError,
  InvalidModelConfigError,
  NotFoundError,
} from './errors.ts';

/** Maps each refusal of a chat state change to the error the caller sees. */
export function refusalError(refusal: ChangeRefusal): AppError {
  switch (refusal) {
    case 'chat_not_found':
      return new ChatNotFoundError();
    case 'chat_busy':
      return new ChatBusyError();
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
  const line = content.trim().split('\n', 1)[0]!.replace(/\s+/g, ' ').trim();
  return line.length <= 60 ? line : `${line.slice(0, 59)}…`;
}

function unwrap(result: ChangeResult) {
  if (result.error) throw refusalError(result.error);
  return result;
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
    const result = unwrap(await this.chats.send(actor.id, chatId, body.content, body.model_config_id ?? null));
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
      await this.chats.edit(actor.id, chatId, messageId, body.content, body.model_config_id ?? null),
    );
    await this.enqueuer.enqueue(result.turn!, log);
    return { message: result.message!, turn: result.turn! };
  }

  async get(actor: User, chatId: string): Promise<Chat> {
    return (await this.chats.find(actor.id, chatId)) ?? Promise.reject(new ChatNotFoundError());
  }

  async list(
    actor: User,
    limit: number,
    cursor: string | undefined,
  ): Promise<{ data: Chat[]; next_cursor: string | null }> {
    const before = cursor ? decodeCursor(cursor) : null;
    const rows = await this.chats.list(actor.id, limit + 1, before);
    const data = rows.slice(0, limit);
    return { data, next_cursor: rows.length > limit ? encodeCursor(data.at(-1)!.id) : null };
  }

  async messages(actor: User, chatId: string): Promise<Message[]> {
    return (await this.chats.listMessages(actor.id, chatId)) ?? Promise.reject(new ChatNotFoundError());
  }

  async turn(actor: User, chatId: string, turnId: string): Promise<Turn> {
    return (
      (await this.chats.findTurn(actor.id, chatId, turnId)) ?? Promise.reject(new NotFoundError('Turn not found.'))
    );
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Cursors are opaque to callers: base64url of the last id seen. */
export function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!UUID.test(id)) {
    throw new BadRequestError('Invalid cursor.', undefined, [
      { field: 'querystring.after', detail: 'is not a cursor this API issued' },
    ]);
  }
  return id;
}
