import {
  ChatList,
  ChatResponse,
  CreateChatBody,
  CreateChatResponse,
  CreatedToken,
  CreateModelConfigBody,
  CreateProviderBody,
  CreateUserBody,
  EditMessageBody,
  ErrorBody,
  Health,
  IDEMPOTENCY_HEADER,
  ListChatsQuery,
  MessageList,
  MessageTurnResponse,
  ModelConfigList,
  ModelConfigResponse,
  type PageOf,
  PageQuery,
  ProviderList,
  ProviderResponse,
  Readiness,
  SendMessageBody,
  TurnResponse,
  UpdateChatBody,
  UpdateModelConfigBody,
  UpdateProviderBody,
  UpdateUserBody,
  UserResponse,
} from '@chatq/contracts';
import { z } from 'zod';

/** Any non-2xx answer. `body` is the API's error shape (`message`, `detail?`, `validations?`). */
export class ChatqApiError extends Error {
  readonly status: number;
  readonly body: ErrorBody;
  readonly headers: Headers;

  constructor(status: number, body: ErrorBody, headers: Headers) {
    super(`${status} ${body.message}`);
    this.name = 'ChatqApiError';
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

export interface ChatqClientOptions {
  /** Where the API listens, e.g. `http://127.0.0.1:8080` (no trailing `/api/v1`). */
  baseUrl: string;
  /** Bearer token; omit for the public routes (health, docs). */
  token?: string;
  fetch?: typeof fetch;
}

/** Per call: an Idempotency-Key makes a POST or PATCH safe to retry. */
export interface CallOptions {
  idempotencyKey?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** What a body or query of the contract accepts (fields with defaults may be left out). */
type In<S extends z.ZodType> = z.input<S>;

/** `limit` (1-100, default 20) and one of the cursors `after` / `before`. */
export type PageParams = Omit<Partial<In<typeof PageQuery>>, 'limit'> & { limit?: number };
export type ListChatsParams = Omit<Partial<In<typeof ListChatsQuery>>, 'limit' | 'archived'> & {
  limit?: number;
  archived?: boolean;
};

type Query = Record<string, string | number | boolean | undefined>;

/**
 * A typed client for the chatq API. Every answer is checked against the same zod contract the
 * server serialises with, so a drift between the two fails loudly. Non-2xx answers throw
 * `ChatqApiError`.
 */
export class ChatqClient {
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: ChatqClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.#fetch = options.fetch ?? fetch;
  }

  /** The same client with another token. */
  as(token: string | undefined): ChatqClient {
    return new ChatqClient({ baseUrl: this.baseUrl, token, fetch: this.#fetch });
  }

  async #call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S | null,
    init: { query?: Query; body?: unknown; options?: CallOptions } = {},
  ): Promise<z.output<S>> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { ...init.options?.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.options?.idempotencyKey !== undefined) headers[IDEMPOTENCY_HEADER] = init.options.idempotencyKey;
    const res = await this.#fetch(url, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.options?.signal,
    });
    const text = await res.text();
    if (!res.ok) {
      // Something between us and chatq (a proxy, a load balancer) may answer in its own format.
      const error = ErrorBody.safeParse(parseJson(text));
      throw new ChatqApiError(
        res.status,
        error.success ? error.data : { message: text || res.statusText },
        res.headers,
      );
    }
    return (schema === null ? undefined : schema.parse(text ? JSON.parse(text) : undefined)) as z.output<S>;
  }

  /** Every item of a list, page by page (the cursor is followed for you). */
  async *#all<T>(fetchPage: (after: string | undefined) => Promise<PageOf<T>>): AsyncGenerator<T> {
    let after: string | undefined;
    for (;;) {
      const page = await fetchPage(after);
      yield* page.data;
      if (!page.has_more || page.next_cursor === null) return;
      after = page.next_cursor;
    }
  }

  readonly health = {
    live: () => this.#call('GET', '/healthz', Health),
    ready: () => this.#call('GET', '/readyz', Readiness),
  };

  readonly users = {
    me: () => this.#call('GET', '/api/v1/users/me', UserResponse),
    create: (body: In<typeof CreateUserBody>, options?: CallOptions) =>
      this.#call('POST', '/api/v1/users', UserResponse, { body, options }),
    update: (id: string, body: In<typeof UpdateUserBody>, options?: CallOptions) =>
      this.#call('PATCH', `/api/v1/users/${enc(id)}`, UserResponse, { body, options }),
    createToken: (id: string, options?: CallOptions) =>
      this.#call('POST', `/api/v1/users/${enc(id)}/tokens`, CreatedToken, { body: {}, options }),
  };

  readonly providers = {
    list: (query: PageParams = {}) => this.#call('GET', '/api/v1/providers', ProviderList, { query }),
    get: (id: string) => this.#call('GET', `/api/v1/providers/${enc(id)}`, ProviderResponse),
    create: (body: In<typeof CreateProviderBody>, options?: CallOptions) =>
      this.#call('POST', '/api/v1/providers', ProviderResponse, { body, options }),
    update: (id: string, body: In<typeof UpdateProviderBody>, options?: CallOptions) =>
      this.#call('PATCH', `/api/v1/providers/${enc(id)}`, ProviderResponse, { body, options }),
    delete: (id: string) => this.#call('DELETE', `/api/v1/providers/${enc(id)}`, null),
  };

  readonly modelConfigs = {
    list: (query: PageParams = {}) => this.#call('GET', '/api/v1/model-configs', ModelConfigList, { query }),
    get: (id: string) => this.#call('GET', `/api/v1/model-configs/${enc(id)}`, ModelConfigResponse),
    create: (body: In<typeof CreateModelConfigBody>, options?: CallOptions) =>
      this.#call('POST', '/api/v1/model-configs', ModelConfigResponse, { body, options }),
    update: (id: string, body: In<typeof UpdateModelConfigBody>, options?: CallOptions) =>
      this.#call('PATCH', `/api/v1/model-configs/${enc(id)}`, ModelConfigResponse, { body, options }),
    delete: (id: string) => this.#call('DELETE', `/api/v1/model-configs/${enc(id)}`, null),
  };

  readonly chats = {
    create: (body: In<typeof CreateChatBody> = {}, options?: CallOptions) =>
      this.#call('POST', '/api/v1/chats', CreateChatResponse, { body, options }),
    list: (query: ListChatsParams = {}) => this.#call('GET', '/api/v1/chats', ChatList, { query }),
    /** Every chat matching the filters, newest first. */
    all: (query: Omit<ListChatsParams, 'after' | 'before'> = {}) =>
      this.#all((after) => this.chats.list({ ...query, after })),
    get: (chatId: string) => this.#call('GET', `/api/v1/chats/${enc(chatId)}`, ChatResponse),
    update: (chatId: string, body: In<typeof UpdateChatBody>, options?: CallOptions) =>
      this.#call('PATCH', `/api/v1/chats/${enc(chatId)}`, ChatResponse, { body, options }),
    delete: (chatId: string) => this.#call('DELETE', `/api/v1/chats/${enc(chatId)}`, null),
    send: (chatId: string, body: In<typeof SendMessageBody>, options?: CallOptions) =>
      this.#call('POST', `/api/v1/chats/${enc(chatId)}/messages`, MessageTurnResponse, { body, options }),
    messages: (chatId: string, query: PageParams = {}) =>
      this.#call('GET', `/api/v1/chats/${enc(chatId)}/messages`, MessageList, { query }),
    /** Every live message of the chat, oldest first. */
    allMessages: (chatId: string) => this.#all((after) => this.chats.messages(chatId, { after })),
    edit: (chatId: string, messageId: string, body: In<typeof EditMessageBody>, options?: CallOptions) =>
      this.#call('PATCH', `/api/v1/chats/${enc(chatId)}/messages/${enc(messageId)}`, MessageTurnResponse, {
        body,
        options,
      }),
    turn: (chatId: string, turnId: string) =>
      this.#call('GET', `/api/v1/chats/${enc(chatId)}/turns/${enc(turnId)}`, TurnResponse),
  };
}

const enc = encodeURIComponent;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
