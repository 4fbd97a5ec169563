import type { ProviderKind, Usage } from '@chatq/contracts';

/** One message of the conversation sent to a model, oldest first. */
export interface ChatTurnMessage {
  role: 'user' | 'assistant';
  content: string;
}

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
  /** The history as the claim trimmed it to `contextLimit`; callers send it as it is. */
  messages: ChatTurnMessage[];
  signal: AbortSignal;
  /** Called with each piece of text as the model produces it. */
  onDelta?: (text: string) => void;
}

export interface ModelReply {
  text: string;
  usage: Usage;
}

/** A provider kind's implementation: streams the reply, resolves with the whole of it. */
export type ModelCaller = (call: ModelCall) => Promise<ModelReply>;
