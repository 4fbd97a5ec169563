import type { FinishReason, MessagePart, PendingToolCall, ProviderKind, Usage } from '@chatq/contracts';

/**
 * One message of the conversation sent to a model, oldest first. `parts` carry an assistant
 * message's tool calls and a tool message's results; every tool call in `messages` has its result.
 */
export interface ChatTurnMessage {
  role: 'user' | 'assistant' | 'tool';
  content: string;
  parts?: MessagePart[];
}

/** A tool as the model is told of it. */
export interface ToolSpec {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

/** A tool call the model made: the worker, the caller or an approval decides what becomes of it. */
export type ToolCall = PendingToolCall;

/**
 * Everything a provider call needs. The API key and secret headers are plaintext only here, inside
 * the worker.
 */
export interface ModelCall {
  provider: {
    kind: ProviderKind;
    baseUrl: string | null;
    apiKey: string | null;
    /** The provider's secret headers, sent on every call (a gateway's key, say). */
    headers: Record<string, string>;
    options: Record<string, unknown>;
  };
  model: {
    name: string;
    maxOutputTokens: number | null;
    contextLimit: number | null;
    options: Record<string, unknown>;
  };
  /** The model config's and the chat's instructions, joined; absent when neither has any. */
  system?: string;
  /** The history as the claim trimmed it to `contextLimit`; callers send it as it is. */
  messages: ChatTurnMessage[];
  /** The tools the model may call (never run by the caller: the agent loop runs them). */
  tools?: ToolSpec[];
  signal: AbortSignal;
  /** Called with each piece of text as the model produces it. */
  onDelta?: (text: string) => void;
}

export interface ModelReply {
  text: string;
  usage: Usage;
  /** The calls this step asks for, in the order the model made them; none: a final answer. */
  toolCalls?: ToolCall[];
  /** Why the call stopped; absent means `stop` (or `tool_calls` when there are calls). */
  finishReason?: FinishReason;
}

/** A provider kind's implementation: streams one step's reply, resolves with the whole of it. */
export type ModelCaller = (call: ModelCall) => Promise<ModelReply>;
