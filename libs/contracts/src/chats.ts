import { z } from 'zod';
import { Page, RequestBody, PageQuery, QueryBoolean, Text, Timestamp, Uuid } from './common.ts';
import { EXAMPLE } from './examples.ts';

export const ChatStatus = z.enum(['idle', 'pending', 'running', 'error']);
export type ChatStatus = z.infer<typeof ChatStatus>;

export const TurnStatus = z.enum(['queued', 'running', 'completed', 'failed', 'superseded', 'cancelled']);
export type TurnStatus = z.infer<typeof TurnStatus>;

export const Chat = z
  .object({
    id: Uuid,
    title: z.string(),
    status: ChatStatus,
    last_model_config_id: Uuid,
    last_error: z.string().nullable(),
    /** Archived chats are read-only: sends and edits are refused. */
    archived: z.boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({
    examples: [
      {
        id: EXAMPLE.chatId,
        title: 'Plan a weekend in Lisbon',
        status: 'pending',
        last_model_config_id: EXAMPLE.modelConfigId,
        last_error: null,
        archived: false,
        created_at: EXAMPLE.createdAt,
        updated_at: EXAMPLE.startedAt,
      },
    ],
  });
export type Chat = z.infer<typeof Chat>;

/** Token counts as the provider reported them. */
export const Usage = z
  .object({
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
    reasoning_tokens: z.number().int().nonnegative().optional(),
    cache_read_tokens: z.number().int().nonnegative().optional(),
    cache_write_tokens: z.number().int().nonnegative().optional(),
  })
  .meta({ examples: [{ input_tokens: 412, output_tokens: 186, cache_read_tokens: 256 }] });
export type Usage = z.infer<typeof Usage>;

export const Message = z
  .object({
    id: Uuid,
    chat_id: Uuid,
    role: z.enum(['user', 'assistant']),
    content: z.string(),
    model_config_id: Uuid.nullable(),
    created_at: Timestamp,
    usage: Usage.optional(),
    /** Integer microdollars; null when the model config has no prices. */
    cost_micros: z.number().int().nullable().optional(),
    /** Present (true) on the partial reply of a turn that was interrupted. */
    interrupted: z.literal(true).optional(),
  })
  .meta({
    examples: [
      {
        id: EXAMPLE.messageId,
        chat_id: EXAMPLE.chatId,
        role: 'user',
        content: 'Plan a relaxed weekend in Lisbon for two.',
        model_config_id: EXAMPLE.modelConfigId,
        created_at: EXAMPLE.createdAt,
      },
      {
        id: EXAMPLE.replyId,
        chat_id: EXAMPLE.chatId,
        role: 'assistant',
        content: 'Saturday: breakfast in Alfama, then tram 28 up to the castle...',
        model_config_id: EXAMPLE.modelConfigId,
        created_at: EXAMPLE.finishedAt,
        usage: { input_tokens: 412, output_tokens: 186 },
        cost_micros: 2_961,
      },
    ],
  });
export type Message = z.infer<typeof Message>;

/**
 * A message sent while a turn was in flight, waiting its turn. When it runs it becomes a Message
 * with the same id.
 */
export const QueuedMessage = z
  .object({
    id: Uuid,
    chat_id: Uuid,
    content: z.string(),
    model_config_id: Uuid,
    created_at: Timestamp,
  })
  .meta({
    examples: [
      {
        id: EXAMPLE.queuedId,
        chat_id: EXAMPLE.chatId,
        content: 'Add a day trip to Sintra.',
        model_config_id: EXAMPLE.modelConfigId,
        created_at: EXAMPLE.startedAt,
      },
    ],
  });
export type QueuedMessage = z.infer<typeof QueuedMessage>;

/** Most messages a chat may have waiting behind its live turn. */
export const MAX_QUEUED_MESSAGES = 20;

/** What a send does while a turn is in flight: wait for it (FIFO), or interrupt it. */
export const BusyBehavior = z.enum(['queue', 'interrupt']);
export type BusyBehavior = z.infer<typeof BusyBehavior>;

export const Turn = z
  .object({
    id: Uuid,
    chat_id: Uuid,
    generation: z.number().int(),
    status: TurnStatus,
    model_config_id: Uuid,
    error: z.string().optional(),
    created_at: Timestamp,
    started_at: Timestamp.optional(),
    finished_at: Timestamp.optional(),
  })
  .meta({
    examples: [
      {
        id: EXAMPLE.turnId,
        chat_id: EXAMPLE.chatId,
        generation: 1,
        status: 'queued',
        model_config_id: EXAMPLE.modelConfigId,
        created_at: EXAMPLE.createdAt,
      },
    ],
  });
export type Turn = z.infer<typeof Turn>;

/** Longest message chatq accepts, in characters. */
export const MAX_MESSAGE_CHARS = 100_000;

/** Longest chat title, in characters. */
export const MAX_TITLE_CHARS = 200;

export const CreateChatBody = RequestBody({
  title: z.string().max(MAX_TITLE_CHARS).optional(),
  model_config_id: Uuid.optional(),
  content: Text(MAX_MESSAGE_CHARS).optional(),
}).meta({ examples: [{ title: 'Plan a weekend in Lisbon', content: 'Plan a relaxed weekend in Lisbon for two.' }] });
export type CreateChatBody = z.infer<typeof CreateChatBody>;

export const EditMessageBody = RequestBody({
  content: Text(MAX_MESSAGE_CHARS),
  model_config_id: Uuid.optional(),
}).meta({ examples: [{ content: 'Plan a relaxed weekend in Lisbon for two, on a budget.' }] });
export type EditMessageBody = z.infer<typeof EditMessageBody>;

export const SendMessageBody = EditMessageBody.extend({
  busy_behavior: BusyBehavior.default('queue'),
}).meta({ examples: [{ content: 'Add a day trip to Sintra.', busy_behavior: 'queue' }] });
export type SendMessageBody = z.infer<typeof SendMessageBody>;

export const ChatParams = z.object({ chat_id: Uuid });
export const MessageParams = z.object({ chat_id: Uuid, message_id: Uuid });
export const TurnParams = z.object({ chat_id: Uuid, turn_id: Uuid });
export const QueuedMessageParams = z.object({ chat_id: Uuid, id: Uuid });

/** Newest first. `q` matches titles case-insensitively, anywhere in the title. */
export const ListChatsQuery = PageQuery.extend({
  status: ChatStatus.optional(),
  archived: QueryBoolean.optional(),
  q: z
    .string()
    .min(1)
    .max(MAX_TITLE_CHARS)
    .regex(/^[^\0]*$/, { message: 'must not contain NUL characters' })
    .optional(),
});
export type ListChatsQuery = z.infer<typeof ListChatsQuery>;

/** Oldest first, live messages only. */
export const ListMessagesQuery = PageQuery;

/** Absent fields are unchanged. */
export const UpdateChatBody = RequestBody({
  title: Text(MAX_TITLE_CHARS).optional(),
  archived: z.boolean().optional(),
}).meta({ examples: [{ title: 'Lisbon, June', archived: true }] });
export type UpdateChatBody = z.infer<typeof UpdateChatBody>;

export const ChatResponse = z.object({ chat: Chat });
export const CreateChatResponse = z.object({ chat: Chat, message: Message.optional(), turn: Turn.optional() });
export const ChatList = Page(Chat);
/** A page of the conversation, oldest first, and the messages queued behind the live turn, in the order they will run. */
export const MessageList = Page(Message).extend({ queued: z.array(QueuedMessage) });
export const MessageTurnResponse = z.object({ message: Message, turn: Turn });
/** A send to a busy chat with `busy_behavior: "queue"` answers 202 with this. */
export const QueuedMessageResponse = z.object({ queued_message: QueuedMessage });
export const TurnResponse = z.object({ turn: Turn });
