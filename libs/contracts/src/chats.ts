import { z } from 'zod';
import { Page, RequestBody, PageQuery, QueryBoolean, Text, Timestamp, Uuid } from './common.ts';
import { EXAMPLE } from './examples.ts';
import { ClientTools, MAX_TOOL_OUTPUT_CHARS } from './tools.ts';

/**
 * `requires_action`: the live turn waits for the results of client tools (the caller runs them);
 * `awaiting_approval`: it waits for a tool call to be approved. Both still hold the chat.
 */
export const ChatStatus = z.enum(['idle', 'pending', 'running', 'requires_action', 'awaiting_approval', 'error']);
export type ChatStatus = z.infer<typeof ChatStatus>;

/** Live: queued, running, requires_action, awaiting_approval (an edit supersedes them, an interrupt cancels them). */
export const TurnStatus = z.enum([
  'queued',
  'running',
  'requires_action',
  'awaiting_approval',
  'completed',
  'failed',
  'superseded',
  'cancelled',
]);
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
    /** Instructions sent before the conversation, after the model config's own. */
    system_prompt: z.string().nullable(),
    /** Tools and MCP servers (by id) the model may call in this chat. */
    tool_ids: z.array(Uuid),
    /** Tools the caller defined on this chat and runs itself. */
    client_tools: ClientTools,
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
        system_prompt: 'You are a concise travel planner.',
        tool_ids: [EXAMPLE.toolId],
        client_tools: [],
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

/** A call's input or a tool's output: any JSON the model or the tool produced. */
const ToolJson = z.unknown().meta({ examples: [{ city: 'Lisbon' }] });

/** One piece of a message: text, a tool call the model made, or a tool's result. */
export const MessagePart = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('tool_call'), tool_call_id: z.string(), name: z.string(), input: ToolJson }),
  z.object({
    type: z.literal('tool_result'),
    tool_call_id: z.string(),
    name: z.string(),
    output: ToolJson,
    is_error: z.boolean(),
  }),
]);
export type MessagePart = z.infer<typeof MessagePart>;

export const MessageRole = z.enum(['user', 'assistant', 'tool']);
export type MessageRole = z.infer<typeof MessageRole>;

export const Message = z
  .object({
    id: Uuid,
    chat_id: Uuid,
    /** `tool`: the results of tool calls, answering the assistant message that made them. */
    role: MessageRole,
    /** The message's text (an assistant message that only calls tools has none: ""). */
    content: z.string(),
    /**
     * Present only on messages with more than their text: an assistant message's tool calls (with
     * its text as `text` parts, in order), a tool message's results. Absent: `content` is all of it.
     */
    parts: z.array(MessagePart).optional(),
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

/** A tool call a waiting turn needs answered (requires_action) or approved (awaiting_approval). */
export const PendingToolCall = z
  .object({ tool_call_id: z.string(), name: z.string(), input: ToolJson })
  .meta({ examples: [{ tool_call_id: EXAMPLE.toolCallId, name: 'pick_date', input: { earliest: '2025-07-01' } }] });
export type PendingToolCall = z.infer<typeof PendingToolCall>;

/**
 * Why a turn's last model call stopped: a final answer (`stop`), the output limit (`length`), a
 * provider's filter, tool calls to run, the model config's `max_steps`, an error, or anything else.
 */
export const FinishReason = z.enum([
  'stop',
  'length',
  'content_filter',
  'tool_calls',
  'max_steps',
  'spend_limit',
  'error',
  'other',
]);
export type FinishReason = z.infer<typeof FinishReason>;

export const Turn = z
  .object({
    id: Uuid,
    chat_id: Uuid,
    generation: z.number().int(),
    status: TurnStatus,
    model_config_id: Uuid,
    /** Model calls the turn made so far (each tool round trip is one more). */
    steps: z.number().int().nonnegative(),
    /** Present once a model call finished. */
    finish_reason: FinishReason.optional(),
    /** Present while the turn waits (requires_action, awaiting_approval): the calls it waits on. */
    pending_tool_calls: z.array(PendingToolCall).optional(),
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
        steps: 0,
        created_at: EXAMPLE.createdAt,
      },
    ],
  });
export type Turn = z.infer<typeof Turn>;

/** Longest message chatq accepts, in characters. */
export const MAX_MESSAGE_CHARS = 100_000;

/** Longest chat title, in characters. */
export const MAX_TITLE_CHARS = 200;

/** Longest system prompt (a chat's or a model config's), in characters. */
export const MAX_SYSTEM_PROMPT_CHARS = 20_000;

/** Most tools and MCP servers one chat may name in `tool_ids`. */
export const MAX_CHAT_TOOL_IDS = 32;

/** A chat's `system_prompt` as a request sets it. */
export const SystemPrompt = Text(MAX_SYSTEM_PROMPT_CHARS);

/** Ids of tools and MCP servers, each once; unknown or disabled ones are refused (400 Invalid tool ID.). */
const ToolIds = z
  .array(Uuid)
  .max(MAX_CHAT_TOOL_IDS)
  .refine((ids) => new Set(ids).size === ids.length, { message: 'must not repeat an id' });

export const CreateChatBody = RequestBody({
  title: z.string().max(MAX_TITLE_CHARS).optional(),
  model_config_id: Uuid.optional(),
  content: Text(MAX_MESSAGE_CHARS).optional(),
  system_prompt: SystemPrompt.optional(),
  tool_ids: ToolIds.optional(),
  client_tools: ClientTools.optional(),
}).meta({
  examples: [
    {
      title: 'Plan a weekend in Lisbon',
      content: 'Plan a relaxed weekend in Lisbon for two.',
      system_prompt: 'You are a concise travel planner.',
      tool_ids: [EXAMPLE.toolId],
    },
  ],
});
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

/** Absent fields are unchanged; `system_prompt: null` clears it; lists replace the chat's whole list. */
export const UpdateChatBody = RequestBody({
  title: Text(MAX_TITLE_CHARS).optional(),
  archived: z.boolean().optional(),
  system_prompt: SystemPrompt.nullable().optional(),
  tool_ids: ToolIds.optional(),
  client_tools: ClientTools.optional(),
}).meta({
  examples: [
    { title: 'Lisbon, June', archived: true },
    { system_prompt: null, tool_ids: [] },
  ],
});
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

/** Most answers (outputs or decisions) one request may carry: a step's calls are bounded alike. */
export const MAX_TOOL_ANSWERS = 64;

const ToolCallId = z.string().min(1).max(256);
const uniqueCalls = (answers: { tool_call_id: string }[]) =>
  new Set(answers.map((a) => a.tool_call_id)).size === answers.length;

/** A client tool's result as the caller sends it; any JSON, at most MAX_TOOL_OUTPUT_CHARS of it. */
export const ToolOutput = z.strictObject({
  tool_call_id: ToolCallId,
  output: z
    .unknown()
    .refine((o) => o !== undefined, { message: 'is required' })
    .refine((o) => JSON.stringify(o ?? null).length <= MAX_TOOL_OUTPUT_CHARS, {
      message: `must be at most ${MAX_TOOL_OUTPUT_CHARS} characters of JSON`,
    }),
  /** The tool failed: the model reads `output` as the error. */
  is_error: z.boolean().optional(),
});

/** The results of a waiting turn's client tool calls; once every pending call has one, the turn goes on. */
export const SubmitToolOutputsBody = RequestBody({
  outputs: z
    .array(ToolOutput)
    .min(1)
    .max(MAX_TOOL_ANSWERS)
    .refine(uniqueCalls, { message: 'must not answer a call twice' }),
}).meta({ examples: [{ outputs: [{ tool_call_id: EXAMPLE.toolCallId, output: { date: '2025-07-04' } }] }] });
export type SubmitToolOutputsBody = z.infer<typeof SubmitToolOutputsBody>;

/** The owner's decision on one call that needs approval; a denied call never runs. */
export const ApprovalDecision = z.strictObject({
  tool_call_id: ToolCallId,
  approve: z.boolean(),
  /** Told to the model with a denial: `denied by the user: <reason>`. */
  reason: z.string().min(1).max(2_000).optional(),
});

/** Decisions on a waiting turn's calls; once every pending call has one, the turn goes on. */
export const DecideApprovalsBody = RequestBody({
  decisions: z
    .array(ApprovalDecision)
    .min(1)
    .max(MAX_TOOL_ANSWERS)
    .refine(uniqueCalls, { message: 'must not decide on a call twice' }),
}).meta({
  examples: [{ decisions: [{ tool_call_id: EXAMPLE.toolCallId, approve: false, reason: 'not this city' }] }],
});
export type DecideApprovalsBody = z.infer<typeof DecideApprovalsBody>;
