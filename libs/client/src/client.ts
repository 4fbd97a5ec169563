import { type ResponseSpec, type RouteSpec, routes } from '@chatq/contracts';
import { ChatqApiError } from './errors.ts';
import { SseParser } from './sse.ts';
import type { ChatqRequest, Operations, PagedOperationId, PageItem, RequestOptions, StreamOptions } from './types.ts';

/** Where and as whom a client calls. */
export interface ChatqClientOptions {
  /** Where the API listens, e.g. `http://127.0.0.1:8080` (no trailing `/api/v1`). */
  baseUrl: string;
  /** Bearer token; omit for the public routes (health probes). */
  token?: string;
  /** A `fetch` of your own (instrumented, proxied); the global one by default. */
  fetch?: typeof fetch;
}

/** A request as the runtime handles it: every operation's `ChatqRequest`, untyped. */
interface AnyRequest {
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  body?: unknown;
  headers?: Record<string, unknown>;
}

/**
 * Whether the table documents `spec` as an answer of the route itself: `defineRoutes` lists error
 * bodies only on the statuses the platform and the route refuse with, never on the ones it sends.
 */
const documented = (spec: ResponseSpec | undefined): spec is ResponseSpec => spec?.errors.length === 0;

const streams = (route: RouteSpec) => route.responses[200]?.mediaType === 'text/event-stream';

/** Statuses after which an event stream is worth opening again: limits and unavailable dependencies. */
const RETRYABLE = new Set([429, 502, 503, 504]);
const MAX_RECONNECT_DELAY_MS = 30_000;

class Client {
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: ChatqClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    // One method per operation of the table, so a route added there is callable at once.
    for (const route of Object.values(routes) as RouteSpec[]) {
      const method = streams(route)
        ? (request?: AnyRequest, opts?: StreamOptions) => this.#stream(route, request, opts)
        : (request?: AnyRequest, opts?: RequestOptions) => this.#call(route, request, opts);
      Object.defineProperty(this, route.operationId, { value: method, enumerable: true });
    }
  }

  /** The same client with another token (or none). */
  as(token: string | undefined): ChatqClient {
    return new ChatqClient({ baseUrl: this.baseUrl, token, fetch: this.#fetch });
  }

  /**
   * Every item of a paged list, following `next_cursor` for you:
   * `for await (const chat of client.paginate('listChats', { query: { archived: false } }))`.
   */
  async *paginate<Id extends PagedOperationId>(
    operationId: Id,
    request: ChatqRequest<Id> = {} as ChatqRequest<Id>,
    options?: RequestOptions,
  ): AsyncGenerator<PageItem<Id>, void, undefined> {
    const route = routes[operationId] as RouteSpec;
    let next = request as AnyRequest;
    for (;;) {
      const { body } = await this.#call(route, next, options);
      const page = body as { data: PageItem<Id>[]; next_cursor: string | null; has_more: boolean };
      yield* page.data;
      if (!page.has_more || page.next_cursor === null) return;
      next = { ...next, query: { ...next.query, after: page.next_cursor } };
    }
  }

  /** The URL and fetch init of `request`; throws before any I/O when a path parameter is missing. */
  #prepare(route: RouteSpec, request: AnyRequest, options: RequestOptions, accept: string): [URL, RequestInit] {
    const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = request.params?.[name];
      if (value === undefined) throw new TypeError(`${route.operationId}: params.${name} is required`);
      return encodeURIComponent(String(value));
    });
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { accept };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      if (value !== undefined) headers[name] = String(value);
    }
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    return [url, { method: route.method, headers: { ...headers, ...options.headers }, body, signal: options.signal }];
  }

  async #call(route: RouteSpec, request: AnyRequest = {}, options: RequestOptions = {}) {
    const res = await this.#fetch(...this.#prepare(route, request, options, 'application/json'));
    const text = await res.text();
    const spec = route.responses[res.status];
    if (!documented(spec)) throw ChatqApiError.fromText(route.operationId, res, text);
    const body: unknown = text === '' ? null : JSON.parse(text);
    // Checked against the contract so a drift fails loudly, but returned as sent: a parse would
    // strip fields the contract does not know, hiding exactly what a caller should notice.
    const checked = spec.schema.safeParse(body);
    if (!checked.success) {
      throw new Error(`${route.operationId}: the ${res.status} answer does not match the contract`, {
        cause: checked.error,
      });
    }
    return { status: res.status, body, headers: res.headers };
  }

  /**
   * An event stream that survives dropped connections: each reconnect (after the server's `retry:`
   * delay, doubling while attempts keep failing) sends `Last-Event-ID` of the last event yielded, and
   * the server resumes right after it, so the consumer sees every event once, in order. Refusals
   * other than limits and unavailability (401, 404), and events that break the contract, end it.
   */
  async *#stream(route: RouteSpec, request: AnyRequest = {}, options: StreamOptions = {}) {
    const { signal, maxReconnects = 5 } = options;
    const schema = route.responses[200]!.schema;
    let lastEventId = request.headers?.['last-event-id'] as string | undefined;
    let delayMs = options.reconnectDelayMs ?? 1_000;
    let failures = 0;
    for (;;) {
      const headers = lastEventId ? { ...request.headers, 'last-event-id': lastEventId } : request.headers;
      const [url, init] = this.#prepare(route, { ...request, headers }, options, 'text/event-stream');
      let cause: unknown = new Error('the server ended the stream');
      let waitMs: number | undefined;
      const res = await this.#fetch(url, init).catch((err: unknown) => {
        cause = err;
        return undefined;
      });
      if (res?.status === 200 && res.body) {
        const parser = new SseParser();
        const decoder = new TextDecoder();
        const reader = res.body.getReader();
        try {
          for (;;) {
            const chunk = await reader.read().catch((err: unknown) => {
              cause = err;
              return { done: true as const, value: undefined };
            });
            if (chunk.done) break;
            for (const message of parser.push(decoder.decode(chunk.value, { stream: true }))) {
              const event = schema.parse({ type: message.event, data: JSON.parse(message.data) }) as object;
              lastEventId = message.id;
              failures = 0;
              yield { ...event, id: message.id };
            }
            delayMs = parser.retryMs ?? delayMs;
          }
        } finally {
          // Also runs when the consumer stops iterating: the connection must not outlive it.
          await reader.cancel().catch(() => undefined);
        }
      } else if (res) {
        const refusal = ChatqApiError.fromText(route.operationId, res, await res.text());
        if (!RETRYABLE.has(res.status)) throw refusal;
        cause = refusal;
        const retryAfter = Number(res.headers.get('retry-after'));
        if (retryAfter > 0) waitMs = retryAfter * 1_000;
      }
      if (signal?.aborted) return;
      if (++failures > maxReconnects) {
        throw new Error(`${route.operationId}: the event stream dropped ${failures} times in a row`, { cause });
      }
      await delay(waitMs ?? Math.min(delayMs * 2 ** (failures - 1), MAX_RECONNECT_DELAY_MS), signal);
      if (signal?.aborted) return;
    }
  }
}

/** Waits `ms`, or less if `signal` aborts (the caller then checks it). */
function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * A typed client for the chatq API, with one method per operation of the route table, named by
 * its operationId: `client.sendMessage({ params: { chat_id }, body: { content } })`.
 *
 * - A JSON operation resolves to its documented answers, a union discriminated by `status`; any
 *   other answer (4xx refusals, 5xx) throws a `ChatqApiError` with the status, error body and headers.
 * - An event-stream operation (`streamChatEvents`, `watchChats`) returns an async iterable of typed
 *   events that reconnects with `Last-Event-ID`; abort it with `options.signal` or `break`.
 */
export type ChatqClient = Client & Operations;
export const ChatqClient = Client as new (options: ChatqClientOptions) => ChatqClient;
