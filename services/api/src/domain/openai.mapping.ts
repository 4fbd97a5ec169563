import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessage,
  ChatToolCall,
  ClientTool,
  ConversationItem,
  CreateResponseBody,
  FinishReason,
  FunctionCallItem,
  FunctionCallOutputItem,
  Message,
  MessagePart,
  OpenAIResponse,
  ResponseInputItem,
  ResponseInputMessage,
  ResponseOutputItem,
  ResponseStatus,
  Turn,
  TurnStatus,
} from '@chatq/contracts';
import type { HistoryEntry } from '../db/chats.repository.ts';
import { BadRequestError } from './errors.ts';

/*
 * How OpenAI's objects and chatq's map onto each other, both ways. Pure: table-tested in
 * openai.mapping.test.ts. The facade's ids are chatq's: a response is `resp_<turn id>`, a
 * conversation `conv_<chat id>`, a message item `msg_<message id>` (uuids without their dashes).
 */

const hex = (uuid: string) => uuid.replaceAll('-', '');
const uuidOf = (hex32: string) =>
  `${hex32.slice(0, 8)}-${hex32.slice(8, 12)}-${hex32.slice(12, 16)}-${hex32.slice(16, 20)}-${hex32.slice(20)}`;

export const responseIdOf = (turnId: string) => `resp_${hex(turnId)}`;
export const turnIdOf = (responseId: string) => uuidOf(responseId.slice('resp_'.length));
export const conversationIdOf = (chatId: string) => `conv_${hex(chatId)}`;
export const chatIdOf = (conversationId: string) => uuidOf(conversationId.slice('conv_'.length));
const messageItemId = (messageId: string) => `msg_${hex(messageId)}`;
/** An item id as `after` names it, back to the message id; undefined when it names no message. */
export function messageIdOfItem(itemId: string): string | undefined {
  const m = /^(?:msg|fc|fco)_([0-9a-f]{32})/.exec(itemId);
  return m ? uuidOf(m[1]!) : undefined;
}

/** Seconds since the epoch, as OpenAI stamps objects. */
export const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** A message's text: a string, or its text parts joined. */
function textOf(content: string | { text: string }[] | null | undefined): string {
  if (content == null) return '';
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}

/** A function call's arguments as chatq stores a call's input: the JSON, or the text if it is not JSON. */
function inputOf(args: string): unknown {
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args;
  }
}

/** A call's input as OpenAI's `arguments`: always a JSON string. */
const argumentsOf = (input: unknown) => (typeof input === 'string' ? input : JSON.stringify(input ?? {}));

/** A tool's output as OpenAI carries it: a string. */
const outputText = (output: unknown) => (typeof output === 'string' ? output : JSON.stringify(output));

/** Function tools as chatq client tools: the caller runs them. */
export function clientToolsOf(
  tools: { name: string; description?: string | null; parameters?: Record<string, unknown> | null }[] = [],
): ClientTool[] {
  return tools.map((t) => ({
    name: t.name,
    ...(t.description ? { description: t.description } : {}),
    input_schema: (t.parameters ?? { type: 'object', properties: {} }) as ClientTool['input_schema'],
  }));
}

/** Refuses a request whose history cannot run: chatq answers a user message or tool results. */
function mustEndWithQuestion(history: HistoryEntry[], field: string): void {
  const last = history.at(-1);
  if (!last || last.role === 'assistant') {
    throw new BadRequestError('Invalid request.', undefined, [
      { field, detail: 'must end with a user message or tool results' },
    ]);
  }
}

/**
 * A chat completion's messages as a chatq conversation: system and developer messages become the
 * system prompt, assistant tool calls become `tool_call` parts (named for the `tool` messages that
 * answer them), each `tool` message one tool message.
 */
export function historyOfChat(messages: ChatCompletionMessage[]): { system: string | null; history: HistoryEntry[] } {
  const system: string[] = [];
  const history: HistoryEntry[] = [];
  const names = new Map<string, string>();
  for (const m of messages) {
    if (m.role === 'system' || m.role === 'developer') system.push(textOf(m.content));
    else if (m.role === 'user') history.push({ role: 'user', content: textOf(m.content) });
    else if (m.role === 'assistant') {
      const text = textOf(m.content);
      const calls = (m.tool_calls ?? []) as ChatToolCall[];
      for (const c of calls) names.set(c.id, c.function.name);
      history.push({
        role: 'assistant',
        content: text,
        ...(calls.length
          ? {
              parts: [
                ...(text ? [{ type: 'text' as const, text }] : []),
                ...calls.map((c) => ({
                  type: 'tool_call' as const,
                  tool_call_id: c.id,
                  name: c.function.name,
                  input: inputOf(c.function.arguments),
                })),
              ],
            }
          : {}),
      });
    } else history.push(toolResult(m.tool_call_id, names.get(m.tool_call_id), textOf(m.content)));
  }
  mustEndWithQuestion(history, 'body.messages');
  return { system: system.length ? system.join('\n\n') : null, history };
}

const toolResult = (callId: string, name: string | undefined, output: string): HistoryEntry => ({
  role: 'tool',
  content: '',
  parts: [{ type: 'tool_result', tool_call_id: callId, name: name ?? 'unknown', output, is_error: false }],
});

/** A Responses `input` as a chatq conversation (system and developer messages join `instructions`). */
export function historyOfInput(
  input: CreateResponseBody['input'],
  instructions: string | null | undefined,
): { system: string | null; history: HistoryEntry[] } {
  const items: ResponseInputItem[] = typeof input === 'string' ? [{ role: 'user', content: input }] : input;
  const system = instructions ? [instructions] : [];
  const history: HistoryEntry[] = [];
  const names = new Map<string, string>();
  for (const item of items) {
    if (item.type === 'function_call') {
      const call = item as FunctionCallItem;
      names.set(call.call_id, call.name);
      history.push({
        role: 'assistant',
        content: '',
        parts: [{ type: 'tool_call', tool_call_id: call.call_id, name: call.name, input: inputOf(call.arguments) }],
      });
    } else if (item.type === 'function_call_output') {
      const output = item as FunctionCallOutputItem;
      history.push(toolResult(output.call_id, names.get(output.call_id), output.output));
    } else {
      const message = item as ResponseInputMessage;
      const text = textOf(message.content);
      if (message.role === 'system' || message.role === 'developer') system.push(text);
      else history.push({ role: message.role, content: text });
    }
  }
  mustEndWithQuestion(history, 'body.input');
  return { system: system.length ? system.join('\n\n') : null, history };
}

/** What continuing a response sends: one user message, or outputs of the calls it waits on. */
export type Continuation = { kind: 'message'; content: string } | { kind: 'outputs'; outputs: ToolOutputOf[] };
interface ToolOutputOf {
  tool_call_id: string;
  output: string;
}

/** A continuation's input, or undefined when it is neither one user message nor only call outputs. */
export function continuationOf(input: CreateResponseBody['input']): Continuation | undefined {
  if (typeof input === 'string') return { kind: 'message', content: input };
  if (input.every((i) => i.type === 'function_call_output')) {
    const outputs = input as FunctionCallOutputItem[];
    return { kind: 'outputs', outputs: outputs.map((o) => ({ tool_call_id: o.call_id, output: o.output })) };
  }
  const only =
    input.length === 1 && input[0]!.type !== 'function_call' ? (input[0] as ResponseInputMessage) : undefined;
  if (only?.role === 'user') {
    const content = textOf(only.content);
    return content.trim() ? { kind: 'message', content } : undefined;
  }
  return undefined;
}

/** The call settings a request asks for, as chatq's options name them. */
export function callOptionsOf(body: {
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  max_output_tokens?: number | null;
}): Record<string, unknown> {
  const options: Record<string, unknown> = {
    temperature: body.temperature,
    top_p: body.top_p,
    stop: body.stop,
    seed: body.seed,
    max_output_tokens: body.max_completion_tokens ?? body.max_tokens ?? body.max_output_tokens,
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v != null));
}

/** Token counts summed over a turn's messages. */
interface TurnUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  reasoning_tokens: number;
}

/** A turn's usage: the sum over the messages it wrote. */
export function usageOf(messages: Message[]): TurnUsage {
  const usage = { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, reasoning_tokens: 0 };
  for (const m of messages) {
    if (!m.usage) continue;
    usage.input_tokens += m.usage.input_tokens;
    usage.output_tokens += m.usage.output_tokens;
    usage.cache_read_tokens += m.usage.cache_read_tokens ?? 0;
    usage.reasoning_tokens += m.usage.reasoning_tokens ?? 0;
  }
  return usage;
}

export function chatUsageOf(messages: Message[]): ChatCompletion['usage'] {
  const u = usageOf(messages);
  return {
    prompt_tokens: u.input_tokens,
    completion_tokens: u.output_tokens,
    total_tokens: u.input_tokens + u.output_tokens,
  };
}

/** The calls of a turn's last step, as OpenAI's `tool_calls`. */
function toolCallsOf(parts: MessagePart[] | undefined): ChatToolCall[] {
  return (parts ?? []).flatMap((p) =>
    p.type === 'tool_call'
      ? [{ id: p.tool_call_id, type: 'function' as const, function: { name: p.name, arguments: argumentsOf(p.input) } }]
      : [],
  );
}

/** Whether a turn stopped before its answer: the output limit, max_steps, or the spend limit. */
const cutShort = (reason: FinishReason | undefined) =>
  reason === 'length' || reason === 'max_steps' || reason === 'spend_limit';

/** Why a chat completion stopped: a turn that waits on the caller stopped for its tool calls. */
export function chatFinishReason(
  status: TurnStatus,
  reason: FinishReason | undefined,
): ChatCompletion['choices'][number]['finish_reason'] {
  if (status === 'requires_action') return 'tool_calls';
  if (cutShort(reason)) return 'length';
  if (reason === 'content_filter') return 'content_filter';
  return 'stop';
}

/**
 * The chat completion a finished turn answers: its text (every step's, in order), and the calls it
 * waits on.
 */
export function chatCompletionOf(turn: Turn, messages: Message[]): ChatCompletion {
  const replies = messages.filter((m) => m.role === 'assistant');
  const text = replies.map((m) => m.content).join('');
  const calls = turn.status === 'requires_action' ? toolCallsOf(replies.at(-1)?.parts) : [];
  return {
    id: chatCompletionIdOf(turn.id),
    object: 'chat.completion',
    created: epochSeconds(turn.created_at),
    model: turn.model_config_id,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text || (calls.length ? null : ''),
          refusal: null,
          ...(calls.length ? { tool_calls: calls } : {}),
        },
        finish_reason: chatFinishReason(turn.status, turn.finish_reason),
        logprobs: null,
      },
    ],
    usage: chatUsageOf(messages),
  };
}

export const chatCompletionIdOf = (turnId: string) => `chatcmpl-${turnId}`;

/** A chunk of a streamed chat completion. */
export function chunkOf(
  turn: Pick<Turn, 'id' | 'created_at' | 'model_config_id'>,
  delta: ChatCompletionChunk['choices'][number]['delta'] | null,
  finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null,
  usage?: ChatCompletion['usage'],
): ChatCompletionChunk {
  return {
    id: chatCompletionIdOf(turn.id),
    object: 'chat.completion.chunk',
    created: epochSeconds(turn.created_at),
    model: turn.model_config_id,
    choices: delta ? [{ index: 0, delta, finish_reason: finish }] : [],
    ...(usage ? { usage } : {}),
  };
}

/** The tool calls of a finished turn as stream chunks' `tool_calls`. */
export function chunkToolCalls(turn: Turn, messages: Message[]) {
  if (turn.status !== 'requires_action') return [];
  const replies = messages.filter((m) => m.role === 'assistant');
  return toolCallsOf(replies.at(-1)?.parts).map((c, index) => ({ index, ...c }));
}

/** A turn's status as a response's. */
export function responseStatusOf(status: TurnStatus, reason?: FinishReason): ResponseStatus {
  switch (status) {
    case 'queued':
      return 'queued';
    case 'running':
    case 'awaiting_approval':
      return 'in_progress';
    case 'requires_action':
      return 'completed';
    case 'completed':
      return cutShort(reason) ? 'incomplete' : 'completed';
    case 'failed':
      return 'failed';
    case 'cancelled':
    case 'superseded':
      return 'cancelled';
  }
}

/** A turn's messages as a response's output items: its text and the calls it made. */
export function outputItemsOf(messages: Message[], done: boolean): ResponseOutputItem[] {
  const items: ResponseOutputItem[] = [];
  for (const m of messages) {
    if (m.role !== 'assistant') continue;
    if (m.content) {
      items.push({
        type: 'message',
        id: messageItemId(m.id),
        role: 'assistant',
        status: done ? 'completed' : 'in_progress',
        content: [{ type: 'output_text', text: m.content, annotations: [] }],
      });
    }
    for (const p of m.parts ?? []) {
      if (p.type !== 'tool_call') continue;
      items.push({
        type: 'function_call',
        id: `fc_${hex(m.id)}_${p.tool_call_id}`,
        call_id: p.tool_call_id,
        name: p.name,
        arguments: argumentsOf(p.input),
        status: 'completed',
      });
    }
  }
  return items;
}

/** Why a response is incomplete, in OpenAI's words where it has them. */
const incompleteReason = (reason: FinishReason | undefined) =>
  reason === 'spend_limit' ? 'spend_limit' : reason === 'max_steps' ? 'max_steps' : 'max_output_tokens';

/** What the facade recorded when the response was asked for (turns.facade). */
export interface ResponseFacts {
  background?: boolean;
  store?: boolean;
  previous_response_id?: string | null;
  conversation?: string | null;
}

/** A response: its turn, the messages it wrote, its chat's instructions, and what it was asked with. */
export function responseOf(input: {
  turn: Turn;
  messages: Message[];
  instructions: string | null;
  /** The chat's client tools: the function tools the response offered. */
  tools: ClientTool[];
  facts: ResponseFacts | null;
  options: Record<string, unknown> | null;
}): OpenAIResponse {
  const { turn, messages, facts, options } = input;
  const status = responseStatusOf(turn.status, turn.finish_reason);
  const done = !['queued', 'in_progress'].includes(status);
  const usage = usageOf(messages);
  const number = (v: unknown) => (typeof v === 'number' ? v : null);
  return {
    id: responseIdOf(turn.id),
    object: 'response',
    created_at: epochSeconds(turn.created_at),
    status,
    model: turn.model_config_id,
    output: outputItemsOf(messages, done),
    instructions: input.instructions,
    previous_response_id: facts?.previous_response_id ?? null,
    conversation: facts?.conversation ? { id: facts.conversation } : null,
    background: facts?.background ?? false,
    store: facts?.store ?? true,
    error: turn.status === 'failed' ? { code: 'server_error', message: turn.error ?? 'The turn failed.' } : null,
    incomplete_details: status === 'incomplete' ? { reason: incompleteReason(turn.finish_reason) } : null,
    usage: done
      ? {
          input_tokens: usage.input_tokens,
          output_tokens: usage.output_tokens,
          total_tokens: usage.input_tokens + usage.output_tokens,
          input_tokens_details: { cached_tokens: usage.cache_read_tokens },
          output_tokens_details: { reasoning_tokens: usage.reasoning_tokens },
        }
      : null,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: input.tools.map((t) => ({
      type: 'function',
      name: t.name,
      description: t.description ?? null,
      parameters: t.input_schema,
      strict: false,
    })),
    temperature: number(options?.temperature),
    top_p: number(options?.top_p),
    metadata: {},
  };
}

/** A chat's messages as conversation items: user and assistant messages, function calls and their outputs. */
export function itemsOf(messages: Message[]): ConversationItem[] {
  return messages.flatMap((m): ConversationItem[] => {
    if (m.role === 'user') {
      return [
        {
          type: 'message',
          id: messageItemId(m.id),
          role: 'user',
          status: 'completed',
          content: [{ type: 'input_text', text: m.content }],
        },
      ];
    }
    if (m.role === 'tool') {
      return (m.parts ?? []).flatMap((p) =>
        p.type === 'tool_result'
          ? [
              {
                type: 'function_call_output' as const,
                id: `fco_${hex(m.id)}_${p.tool_call_id}`,
                call_id: p.tool_call_id,
                output: outputText(p.output),
                status: 'completed' as const,
              },
            ]
          : [],
      );
    }
    return outputItemsOf([m], true) as ConversationItem[];
  });
}
