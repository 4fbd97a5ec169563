import { z } from 'zod';
import { MAX_MESSAGE_CHARS, MAX_SYSTEM_PROMPT_CHARS } from './chats.ts';
import type { ErrorBody } from './common.ts';
import { EXAMPLE } from './examples.ts';
import { MAX_CLIENT_TOOLS } from './tools.ts';

/*
 * The OpenAI-compatible facade (`/openai/v1`): the subset of OpenAI's Chat Completions, Responses,
 * Conversations and Models APIs chatq serves, in OpenAI's own field names. Request bodies are strict
 * at the top level (a parameter chatq does not honour is a 400, as OpenAI answers an unknown one);
 * items inside them (messages, tools) are loose, as OpenAI's SDKs add fields of their own there.
 */

/** Where the facade's routes live; errors under it take OpenAI's shape (`openAIErrorOf`). */
export const OPENAI_PREFIX = '/openai/v1';

/** Whether a route (a path or a URL) belongs to the facade. */
export function speaksOpenAI(pathOrUrl: string): boolean {
  return pathOrUrl === OPENAI_PREFIX || pathOrUrl.startsWith(`${OPENAI_PREFIX}/`);
}

/** Most messages (or input items) one request may carry. */
export const MAX_OPENAI_MESSAGES = 500;

/** Every error under `/openai/v1`, as OpenAI's SDKs read it. */
export const OpenAIErrorBody = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .meta({
    id: 'OpenAIError',
    examples: [
      {
        error: {
          message: 'The model `gpt-5` does not exist or you do not have access to it.',
          type: 'invalid_request_error',
          param: 'model',
          code: 'model_not_found',
        },
      },
    ],
  });
export type OpenAIErrorBody = z.infer<typeof OpenAIErrorBody>;

/** OpenAI's `code` for chatq's errors that have one, by message. */
const OPENAI_ERROR_CODES: Record<string, string> = {
  'Model not found.': 'model_not_found',
  'Rate limit exceeded.': 'rate_limit_exceeded',
  'Unauthorized.': 'invalid_api_key',
  'Spend limit reached.': 'insufficient_quota',
};

/** OpenAI's error `type` for a status. */
function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** A validation's field as OpenAI names a parameter: `body.messages.0.role` is `messages.0.role`. */
const paramOf = (field: string) => field.replace(/^body\./, '');

/**
 * chatq's error body in OpenAI's shape: the same message (with its detail and validations, so
 * nothing the caller needs is lost), OpenAI's `type` for the status, the first invalid field as
 * `param`, and `code` when chatq has one (`model_not_found`, `unsupported_parameter`...).
 */
export function openAIErrorOf(status: number, body: ErrorBody, code?: string): OpenAIErrorBody {
  const first = body.validations?.[0];
  const unsupported = first?.detail === 'is not a known field';
  const details = [
    ...(body.detail ? [body.detail] : []),
    ...(body.validations ?? []).map((v) => `${paramOf(v.field)} ${v.detail}`),
  ];
  return {
    error: {
      message: unsupported ? `Unsupported parameter: '${paramOf(first.field)}'.` : [body.message, ...details].join(' '),
      type: errorType(status),
      param: first ? paramOf(first.field) : body.message === 'Model not found.' ? 'model' : null,
      code: code ?? (unsupported ? 'unsupported_parameter' : (OPENAI_ERROR_CODES[body.message] ?? null)),
    },
  };
}

// ---- Models ---------------------------------------------------------------------------------------

/** A model config as OpenAI lists a model: `id` is the model config's id. */
export const OpenAIModel = z
  .object({
    id: z.string(),
    object: z.literal('model'),
    created: z.number().int(),
    owned_by: z.string(),
    /** chatq's own: the model config's display name (requests accept it as `model` too). */
    display_name: z.string().nullable(),
  })
  .meta({
    examples: [
      {
        id: EXAMPLE.modelConfigId,
        object: 'model',
        created: 1_750_000_000,
        owned_by: 'chatq',
        display_name: 'GPT-4o mini',
      },
    ],
  });
export type OpenAIModel = z.infer<typeof OpenAIModel>;

export const OpenAIModelList = z.object({ object: z.literal('list'), data: z.array(OpenAIModel) });
export const OpenAIModelParams = z.object({ model: z.string().min(1).max(200) });

// ---- Chat Completions -----------------------------------------------------------------------------

const TextPart = z.looseObject({ type: z.literal('text'), text: z.string().max(MAX_MESSAGE_CHARS) });
/** Message content: a string, or text parts (images and audio are not supported). */
const Content = z.union([z.string().max(MAX_MESSAGE_CHARS), z.array(TextPart).max(64)]);

export const ChatToolCall = z.looseObject({
  id: z.string().min(1).max(256),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string().min(1).max(64), arguments: z.string().max(MAX_MESSAGE_CHARS) }),
});
export type ChatToolCall = z.infer<typeof ChatToolCall>;

export const ChatCompletionMessage = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content: Content }),
  z.looseObject({ role: z.literal('developer'), content: Content }),
  z.looseObject({ role: z.literal('user'), content: Content }),
  z.looseObject({
    role: z.literal('assistant'),
    content: Content.nullish(),
    tool_calls: z.array(ChatToolCall).max(64).optional(),
  }),
  z.looseObject({ role: z.literal('tool'), content: Content, tool_call_id: z.string().min(1).max(256) }),
]);
export type ChatCompletionMessage = z.infer<typeof ChatCompletionMessage>;

/** A JSON Schema object, as OpenAI's function tools carry it. */
const Parameters = z.record(z.string(), z.unknown());

const ChatFunctionTool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be 1 to 64 letters, digits, _ or -' }),
    description: z.string().max(4_000).optional(),
    parameters: Parameters.optional(),
    strict: z.boolean().nullish(),
  }),
});

/** Sampling settings both APIs honour. */
const Temperature = z.number().min(0).max(2).nullish();
const TopP = z.number().min(0).max(1).nullish();
const MaxTokens = z.number().int().positive().nullish();

export const ChatCompletionBody = z
  .strictObject({
    /** A model config's id or display name (see `GET /openai/v1/models`). */
    model: z.string().min(1).max(200),
    messages: z.array(ChatCompletionMessage).min(1).max(MAX_OPENAI_MESSAGES),
    stream: z.boolean().nullish(),
    stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullish(),
    temperature: Temperature,
    top_p: TopP,
    max_tokens: MaxTokens,
    max_completion_tokens: MaxTokens,
    stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
    seed: z.number().int().nullish(),
    n: z.literal(1).nullish(),
    /** Function tools: the caller runs them, as with OpenAI (chatq client tools). */
    tools: z.array(ChatFunctionTool).max(MAX_CLIENT_TOOLS).optional(),
    /** Only `auto`: the model decides. */
    tool_choice: z.literal('auto').optional(),
    parallel_tool_calls: z.boolean().optional(),
    /** Accepted and ignored, as an end-user id for OpenAI's abuse monitoring. */
    user: z.string().max(256).optional(),
  })
  .meta({
    examples: [
      {
        model: 'GPT-4o mini',
        messages: [
          { role: 'system', content: 'You are a concise travel planner.' },
          { role: 'user', content: 'Plan a relaxed weekend in Lisbon for two.' },
        ],
        stream: true,
        stream_options: { include_usage: true },
      },
    ],
  });
export type ChatCompletionBody = z.infer<typeof ChatCompletionBody>;

/** Tokens as OpenAI counts them. */
export const ChatUsage = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

/** Why the answer stopped, in OpenAI's words. */
export const ChatFinishReason = z.enum(['stop', 'length', 'tool_calls', 'content_filter']);

export const ChatCompletion = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion'),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({
          role: z.literal('assistant'),
          content: z.string().nullable(),
          refusal: z.null(),
          tool_calls: z.array(ChatToolCall).optional(),
        }),
        finish_reason: ChatFinishReason,
        logprobs: z.null(),
      }),
    ),
    usage: ChatUsage,
  })
  .meta({
    examples: [
      {
        id: `chatcmpl-${EXAMPLE.turnId}`,
        object: 'chat.completion',
        created: 1_750_000_000,
        model: EXAMPLE.modelConfigId,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Saturday: breakfast in Alfama...', refusal: null },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
        usage: { prompt_tokens: 25, completion_tokens: 186, total_tokens: 211 },
      },
    ],
  });
export type ChatCompletion = z.infer<typeof ChatCompletion>;

/** One `data:` event of a streamed chat completion (the stream ends with `data: [DONE]`). */
export const ChatCompletionChunk = z.object({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      delta: z.object({
        role: z.literal('assistant').optional(),
        content: z.string().nullable().optional(),
        tool_calls: z
          .array(
            z.object({
              index: z.number().int(),
              id: z.string(),
              type: z.literal('function'),
              function: z.object({ name: z.string(), arguments: z.string() }),
            }),
          )
          .optional(),
      }),
      finish_reason: ChatFinishReason.nullable(),
    }),
  ),
  usage: ChatUsage.nullable().optional(),
});
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunk>;

// ---- Responses ------------------------------------------------------------------------------------

const InputText = z.looseObject({
  type: z.enum(['input_text', 'output_text']),
  text: z.string().max(MAX_MESSAGE_CHARS),
});

/** An input message item: a string, or text parts. */
export const ResponseInputMessage = z.looseObject({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string().max(MAX_MESSAGE_CHARS), z.array(InputText).max(64)]),
});
export type ResponseInputMessage = z.infer<typeof ResponseInputMessage>;

/** The result of a function call the model made in an earlier response. */
export const FunctionCallOutputItem = z.looseObject({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1).max(256),
  output: z.string().max(MAX_MESSAGE_CHARS),
});
export type FunctionCallOutputItem = z.infer<typeof FunctionCallOutputItem>;

/** A function call, as an earlier response's output carried it (sent back to replay the history). */
export const FunctionCallItem = z.looseObject({
  type: z.literal('function_call'),
  call_id: z.string().min(1).max(256),
  name: z.string().min(1).max(64),
  arguments: z.string().max(MAX_MESSAGE_CHARS),
});
export type FunctionCallItem = z.infer<typeof FunctionCallItem>;

export const ResponseInputItem = z.union([ResponseInputMessage, FunctionCallOutputItem, FunctionCallItem]);
export type ResponseInputItem = z.infer<typeof ResponseInputItem>;

const ResponseFunctionTool = z.looseObject({
  type: z.literal('function'),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be 1 to 64 letters, digits, _ or -' }),
  description: z.string().max(4_000).nullish(),
  parameters: Parameters.nullish(),
  strict: z.boolean().nullish(),
});

/** `resp_<turn id>`: a response is a chatq turn. */
export const ResponseId = z.string().regex(/^resp_[0-9a-f]{32}$/, { message: 'must be a response id' });
/** `conv_<chat id>`: a conversation is a chatq chat. */
export const ConversationId = z.string().regex(/^conv_[0-9a-f]{32}$/, { message: 'must be a conversation id' });

export const CreateResponseBody = z
  .strictObject({
    model: z.string().min(1).max(200),
    input: z.union([
      z.string().min(1).max(MAX_MESSAGE_CHARS),
      z.array(ResponseInputItem).min(1).max(MAX_OPENAI_MESSAGES),
    ]),
    /** The chat's system prompt. */
    instructions: z.string().max(MAX_SYSTEM_PROMPT_CHARS).nullish(),
    /** Continue that response's chat (from an earlier one of its responses: a branch, like an edit). */
    previous_response_id: ResponseId.nullish(),
    /** Append to this conversation (a chat). */
    conversation: z.union([ConversationId, z.looseObject({ id: ConversationId })]).nullish(),
    stream: z.boolean().nullish(),
    /** Answer at once, queued; poll `GET /openai/v1/responses/{id}`. */
    background: z.boolean().nullish(),
    /** `false`: the chat is deleted once the response completes. */
    store: z.boolean().nullish(),
    tools: z.array(ResponseFunctionTool).max(MAX_CLIENT_TOOLS).optional(),
    tool_choice: z.literal('auto').optional(),
    parallel_tool_calls: z.boolean().nullish(),
    temperature: Temperature,
    top_p: TopP,
    max_output_tokens: MaxTokens,
    user: z.string().max(256).optional(),
  })
  .meta({
    examples: [
      {
        model: 'GPT-4o mini',
        instructions: 'You are a concise travel planner.',
        input: 'Plan a relaxed weekend in Lisbon for two.',
      },
      {
        model: 'GPT-4o mini',
        previous_response_id: `resp_${EXAMPLE.turnId.replaceAll('-', '')}`,
        input: 'And Sintra?',
      },
    ],
  });
export type CreateResponseBody = z.infer<typeof CreateResponseBody>;

const OutputText = z.object({ type: z.literal('output_text'), text: z.string(), annotations: z.array(z.never()) });

export const ResponseOutputMessage = z.object({
  type: z.literal('message'),
  id: z.string(),
  role: z.literal('assistant'),
  status: z.enum(['in_progress', 'completed', 'incomplete']),
  content: z.array(OutputText),
});

export const ResponseFunctionCall = z.object({
  type: z.literal('function_call'),
  id: z.string(),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
  status: z.literal('completed'),
});

export const ResponseOutputItem = z.union([ResponseOutputMessage, ResponseFunctionCall]);
export type ResponseOutputItem = z.infer<typeof ResponseOutputItem>;

export const ResponseStatus = z.enum(['queued', 'in_progress', 'completed', 'failed', 'cancelled', 'incomplete']);
export type ResponseStatus = z.infer<typeof ResponseStatus>;

export const OpenAIResponse = z
  .object({
    id: z.string(),
    object: z.literal('response'),
    created_at: z.number().int(),
    status: ResponseStatus,
    model: z.string(),
    output: z.array(ResponseOutputItem),
    /** The chat's system prompt. */
    instructions: z.string().nullable(),
    previous_response_id: z.string().nullable(),
    conversation: z.object({ id: z.string() }).nullable(),
    background: z.boolean(),
    store: z.boolean(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    incomplete_details: z.object({ reason: z.string() }).nullable(),
    usage: z
      .object({
        input_tokens: z.number().int(),
        output_tokens: z.number().int(),
        total_tokens: z.number().int(),
        input_tokens_details: z.object({ cached_tokens: z.number().int() }),
        output_tokens_details: z.object({ reasoning_tokens: z.number().int() }),
      })
      .nullable(),
    parallel_tool_calls: z.boolean(),
    tool_choice: z.literal('auto'),
    tools: z.array(z.unknown()),
    temperature: z.number().nullable(),
    top_p: z.number().nullable(),
    metadata: z.record(z.string(), z.string()),
  })
  .meta({
    id: 'OpenAIResponse',
    examples: [
      {
        id: `resp_${EXAMPLE.turnId.replaceAll('-', '')}`,
        object: 'response',
        created_at: 1_750_000_000,
        status: 'completed',
        model: EXAMPLE.modelConfigId,
        output: [
          {
            type: 'message',
            id: `msg_${EXAMPLE.replyId.replaceAll('-', '')}`,
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text: 'Saturday: breakfast in Alfama...', annotations: [] }],
          },
        ],
        instructions: null,
        previous_response_id: null,
        conversation: { id: `conv_${EXAMPLE.chatId.replaceAll('-', '')}` },
        background: false,
        store: true,
        error: null,
        incomplete_details: null,
        usage: {
          input_tokens: 25,
          output_tokens: 186,
          total_tokens: 211,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens_details: { reasoning_tokens: 0 },
        },
        parallel_tool_calls: true,
        tool_choice: 'auto',
        tools: [],
        temperature: null,
        top_p: null,
        metadata: {},
      },
    ],
  });
export type OpenAIResponse = z.infer<typeof OpenAIResponse>;

export const ResponseParams = z.object({ response_id: ResponseId });

export const DeletedResponse = z.object({ id: z.string(), object: z.literal('response'), deleted: z.literal(true) });

/** An item of a conversation or of a response's input: a message (user or assistant) or a function call or output. */
export const ConversationItem = z.union([
  z.object({
    type: z.literal('message'),
    id: z.string(),
    role: z.enum(['user', 'assistant']),
    status: z.literal('completed'),
    content: z.array(z.object({ type: z.enum(['input_text', 'output_text']), text: z.string() })),
  }),
  ResponseFunctionCall,
  z.object({
    type: z.literal('function_call_output'),
    id: z.string(),
    call_id: z.string(),
    output: z.string(),
    status: z.literal('completed'),
  }),
]);
export type ConversationItem = z.infer<typeof ConversationItem>;

export const ItemList = z.object({
  object: z.literal('list'),
  data: z.array(ConversationItem),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
});
export type ItemList = z.infer<typeof ItemList>;

/** `?limit=1..100&after=<item id>&order=asc|desc`, as OpenAI's item lists page. */
export const ItemListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().max(100).optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type ItemListQuery = z.infer<typeof ItemListQuery>;

// ---- Conversations --------------------------------------------------------------------------------

export const CreateConversationBody = z.strictObject({}).meta({ examples: [{}] });
export type CreateConversationBody = z.infer<typeof CreateConversationBody>;

export const Conversation = z
  .object({
    id: z.string(),
    object: z.literal('conversation'),
    created_at: z.number().int(),
    metadata: z.record(z.string(), z.string()),
  })
  .meta({
    examples: [
      {
        id: `conv_${EXAMPLE.chatId.replaceAll('-', '')}`,
        object: 'conversation',
        created_at: 1_750_000_000,
        metadata: {},
      },
    ],
  });
export type Conversation = z.infer<typeof Conversation>;

export const ConversationParams = z.object({ conversation_id: ConversationId });

export const DeletedConversation = z.object({
  id: z.string(),
  object: z.literal('conversation.deleted'),
  deleted: z.literal(true),
});
