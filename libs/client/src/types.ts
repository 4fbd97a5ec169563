import type { OperationId, ResponseSpec, Routes } from '@chatq/contracts';
import type { z } from 'zod';

/**
 * Everything here is computed from the route table (`routes` in `@chatq/contracts`): a route added
 * there becomes a typed client method without a change to this package.
 */

type Route<Id extends OperationId> = Routes[Id];

/** The empty object type: `Nothing extends T` holds when every property of `T` is optional. */
type Nothing = Record<never, never>;
type Responses<Id extends OperationId> = Route<Id>['responses'];

/**
 * The statuses a route answers on purpose: the ones its declaration lists (required keys of the
 * completed `responses`). The platform's refusals are optional keys; the client throws those.
 */
export type DocumentedStatus<Id extends OperationId> = {
  [S in keyof Responses<Id>]-?: Nothing extends Pick<Responses<Id>, S> ? never : S;
}[keyof Responses<Id>];

type BodyOf<R> = R extends ResponseSpec<infer S> ? z.output<S> : never;

/**
 * A documented answer of `Id`, discriminated by `status`: narrowing on `status` narrows `body`.
 * For `sendMessage`: `{status: 201, body: {message, turn}} | {status: 202, body: {queued_message}}`.
 */
export type ChatqResponse<Id extends OperationId> = {
  [S in DocumentedStatus<Id>]: { status: S; body: BodyOf<Responses<Id>[S]>; headers: Headers };
}[DocumentedStatus<Id>];

/** The body of a route's answer with status `S`. */
export type ResponseBody<Id extends OperationId, S extends DocumentedStatus<Id>> = BodyOf<Responses<Id>[S]>;

/**
 * What a query string value may be given as: the contract's wire form (`'true'`), or the value that
 * prints as it (`true`); coerced fields (`limit`) accept any of them.
 */
type QueryValue<T> = unknown extends T
  ? string | number | boolean
  : T | (T extends `${infer V extends number | boolean}` ? V : never);
type QueryInput<S extends z.ZodType> = { [K in keyof z.input<S>]?: QueryValue<z.input<S>[K]> };

/** A part of the request, required when the route needs something in it. */
type Part<K extends string, T> = Nothing extends T ? { [P in K]?: T } : { [P in K]: T };

/**
 * The request of `Id`: `params` (path), `query`, `body` and `headers` (`idempotency-key` on POST
 * and PATCH, `last-event-id` on event streams), each typed by the route's schema.
 */
export type ChatqRequest<Id extends OperationId> = (Route<Id> extends { params: infer S extends z.ZodType }
  ? Part<'params', z.input<S>>
  : unknown) &
  (Route<Id> extends { query: infer S extends z.ZodType } ? Part<'query', QueryInput<S>> : unknown) &
  (Route<Id> extends { body: infer S extends z.ZodType }
    ? undefined extends z.input<S>
      ? { body?: z.input<S> }
      : { body: z.input<S> }
    : unknown) &
  HeadersPart<NonNullable<Route<Id>['headers']>>;

type HeadersPart<S> = [S] extends [never] ? unknown : S extends z.ZodType ? Part<'headers', z.input<S>> : unknown;

/** Per call, beside the request itself. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** Headers the table does not describe (tracing, `x-request-id`); they win over the client's own. */
  headers?: Record<string, string>;
}

/** Options of an event stream (`streamChatEvents`, `watchChats`). */
export interface StreamOptions extends RequestOptions {
  /**
   * How many times in a row a dropped or refused (503, 429) connection is retried before the
   * iteration fails; the count starts again once an event arrives. Default 5.
   */
  maxReconnects?: number;
  /** The reconnection delay until the server sends its own `retry:`, in ms. Default 1000. */
  reconnectDelayMs?: number;
}

/** One event of a stream: the route's event schema (`{type, data}`), plus its `id` in the chat's log. */
export type StreamEvent<Id extends OperationId> =
  Responses<Id> extends {
    200: ResponseSpec<infer S, 'text/event-stream'>;
  }
    ? z.output<S> & { id: string }
    : never;

/** Whether `Id` answers with an event stream rather than a JSON body. */
type Streams<Id extends OperationId> = [StreamEvent<Id>] extends [never] ? false : true;

/** The arguments of `Id`'s method: the request may be left out when nothing in it is required. */
type Args<Id extends OperationId, O> =
  Nothing extends ChatqRequest<Id>
    ? [request?: ChatqRequest<Id>, options?: O]
    : [request: ChatqRequest<Id>, options?: O];

/**
 * The method of `Id`: a JSON route resolves to its documented answers and throws `ChatqApiError`
 * for the rest; an event-stream route returns an async iterable of its events.
 */
export type Operation<Id extends OperationId> =
  Streams<Id> extends true
    ? (...args: Args<Id, StreamOptions>) => AsyncGenerator<StreamEvent<Id>, void, undefined>
    : (...args: Args<Id, RequestOptions>) => Promise<ChatqResponse<Id>>;

/** One method per operation of the API, named by its operationId (as in the OpenAPI document). */
export type Operations = { [Id in OperationId]: Operation<Id> };

/** The operations that answer a page (`data`, `next_cursor`, `has_more`) and page with `?after=`. */
export type PagedOperationId = {
  [Id in OperationId]: Streams<Id> extends true
    ? never
    : ResponseBody<Id, DocumentedStatus<Id>> extends { data: unknown[]; next_cursor: string | null }
      ? ChatqRequest<Id> extends { query?: { after?: unknown } }
        ? Id
        : never
      : never;
}[OperationId];

/** An item of a paged operation's list. */
export type PageItem<Id extends PagedOperationId> =
  ResponseBody<Id, DocumentedStatus<Id>> extends { data: (infer T)[] } ? T : never;
