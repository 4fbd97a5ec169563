import { z } from 'zod';
import { ErrorBody, IDEMPOTENCY_HEADER, IdempotencyKey } from '../common.ts';
import { OpenAIErrorBody, speaksOpenAI } from '../openai.ts';
import { ERROR_DESCRIPTIONS, type ErrorStatus, errorResponses } from './errors.ts';

/** Methods the API serves (HEAD is fastify's automatic twin of each GET). */
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Who may call a route: anyone, any user with a valid token, or admins only. */
export type Access = 'public' | 'member' | 'admin';

/** The OpenAPI tags, in the order the reference shows them. */
export const TAGS = {
  chats: 'Conversations: create chats, send and edit messages, interrupt the running turn, read turns.',
  events: 'Server-Sent Events: one chat as it happens, or the status of all of your chats.',
  usage: 'Tokens and cost spent by assistant replies, per chat and per user, and reports grouped for admins.',
  'model-configs': 'The models users pick from; members see the enabled ones, admins manage them.',
  providers: 'Admin-only: model provider endpoints and their sealed API keys.',
  tools:
    'Tools and MCP servers a chat may offer its model; members list the enabled ones, admins manage them and their sealed secrets.',
  users: 'Users, their API tokens and their rate limits.',
  audit:
    'Admin-only: the append-only record of every admin change, token minted or revoked, and refused admin request.',
  health: 'Liveness and readiness probes for load balancers and orchestrators.',
  openai:
    'The OpenAI-compatible facade: OpenAI SDKs switch to chatq by changing `base_url` to `/openai/v1`. Chat completions, responses and conversations run as chatq chats and turns; errors take OpenAI’s shape.',
} as const;
export type Tag = keyof typeof TAGS;

/** Headers chatq sends; each becomes a shared OpenAPI header component. */
export const RESPONSE_HEADERS = {
  'X-Request-Id': {
    description: 'The request id (the one the client sent, if valid): it is on every log line about the request.',
    required: true,
    example: '0b6c2c1e-5a5f-4a4e-9c1b-6f2d8e3a7b10',
  },
  'RateLimit-Policy': {
    description:
      'The limits that apply, e.g. `"requests";q=600;w=60, "turns";q=60;w=60` (IETF RateLimit headers draft).',
    required: true,
    example: '"requests";q=600;w=60, "turns";q=60;w=60',
  },
  RateLimit: {
    description:
      'What is left of the nearest limit, e.g. `"requests";r=598;t=41`: `r` requests in the next `t` seconds. ' +
      'Absent while the rate limiter is unavailable (requests then go through uncounted).',
    required: false,
    example: '"requests";r=598;t=41',
  },
  'Retry-After': {
    description:
      'Seconds to wait before retrying. Always sent with 429; sent with 503, and with the 409 of an ' +
      'Idempotency-Key still in progress, when the server can tell.',
    required: false,
    example: '12',
  },
  'WWW-Authenticate': {
    description:
      'The RFC 6750 challenge of every 401: `Bearer realm="chatq"`, plus `error="invalid_token"` when the token sent was refused.',
    required: true,
    example: 'Bearer realm="chatq", error="invalid_token"',
  },
  'Idempotent-Replayed': {
    description: '`true` when this is the recorded response of an earlier request with the same Idempotency-Key.',
    required: false,
    example: 'true',
  },
} as const satisfies Record<string, { description: string; required: boolean; example: string }>;
export type ResponseHeader = keyof typeof RESPONSE_HEADERS;

/** How a response body is sent: JSON, or a Server-Sent Events stream whose events `schema` describes. */
export type MediaType = 'application/json' | 'text/event-stream';

/** One documented response of a route. */
export interface ResponseSpec<S extends z.ZodType = z.ZodType, M extends MediaType = MediaType> {
  description: string;
  /** The body (204: `NoContent`); for `text/event-stream`, the schema of one event. */
  schema: S;
  mediaType: M;
  /** For error statuses: every body the status can carry here, with the API's real messages. */
  errors: readonly ErrorBody[];
  headers: readonly ResponseHeader[];
  /** Other forms of the same body a client may ask for with `Accept` (see `SentResponse.alternatives`). */
  alternatives?: Alternatives;
}

/**
 * Other media types a response may be sent as when the request's `Accept` asks for them, each with
 * an example body: today CSV, the same rows as the JSON's `data` under a header row.
 */
export type Alternatives = Partial<Record<'text/csv', { description: string; example: string }>>;

/** A response a route's handler sends itself (success, or a status with its own body such as readiness). */
export interface SentResponse {
  description: string;
  schema: z.ZodType;
  mediaType?: MediaType;
  alternatives?: Alternatives;
}

/** A route as declared in `routes/*.ts`; `defineRoutes` completes it with what the platform adds. */
export interface RouteDeclaration {
  method: HttpMethod;
  /** OpenAPI style: `/api/v1/chats/{chat_id}`. */
  path: string;
  summary: string;
  description: string;
  tag: Tag;
  auth: Access;
  /**
   * Whether a request counts against the per-user turns limit: always, or depending on its parsed
   * (not yet validated) body. Requests that do not start a turn count only as requests.
   */
  startsTurn?: boolean | ((body: unknown) => boolean);
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Request headers the route reads itself (documented; the route validates them). */
  headers?: z.ZodObject;
  responses: Record<number, SentResponse>;
  /** Route-specific error bodies by status; shared ones (auth, bodies, rate limits...) are added. */
  errors?: Partial<Record<ErrorStatus, readonly ErrorBody[]>>;
}

/** The response a declared one becomes, its schema and media type kept for typed handlers and clients. */
type Completes<D> = D extends { schema: infer S extends z.ZodType }
  ? ResponseSpec<S, D extends { mediaType: 'text/event-stream' } ? 'text/event-stream' : 'application/json'>
  : never;

/** The request headers of a declared route once completed: its own, plus `Idempotency-Key` where honoured. */
type CompletedHeaders<R extends RouteDeclaration> = R extends {
  method: 'POST' | 'PATCH';
  auth: 'member' | 'admin';
  path: `/api/${string}`;
}
  ? z.ZodObject<
      (R extends { headers: z.ZodObject<infer Own> } ? Own : unknown) & {
        [K in typeof IDEMPOTENCY_HEADER]: typeof IdempotencyKeyHeader;
      }
    >
  : R extends { headers: infer Own extends z.ZodObject }
    ? Own
    : undefined;

/** A declared route, completed by `defineRoutes`. */
type Completed<R extends RouteDeclaration, Id extends string> = Omit<R, 'responses' | 'errors' | 'headers'> & {
  operationId: Id;
  /** Request headers: the route's own plus `Idempotency-Key` on POST and PATCH (typed, for clients). */
  headers?: CompletedHeaders<R>;
  responses: { [S in keyof R['responses']]: Completes<R['responses'][S]> } & {
    [S in Exclude<ErrorStatus, keyof R['responses']>]?: ResponseSpec<ErrorSchemaOf<R>, 'application/json'>;
  };
};

/** The error body of a route: OpenAI's shape under `/openai/v1`, chatq's everywhere else. */
type ErrorSchemaOf<R extends RouteDeclaration> = R['path'] extends `/openai/v1/${string}`
  ? typeof OpenAIErrorBody
  : typeof ErrorBody;

/** The error body schema of a route (see `ErrorSchemaOf`); the error handler picks the same by URL. */
export function errorSchemaOf(route: Pick<RouteDeclaration, 'path'>): typeof ErrorBody | typeof OpenAIErrorBody {
  return speaksOpenAI(route.path) ? OpenAIErrorBody : ErrorBody;
}

/** Whether a response schema is an error body (sent by the error handler, never by a route's handler). */
export function isErrorSchema(schema: z.ZodType): boolean {
  return schema === ErrorBody || schema === OpenAIErrorBody;
}

/** One operation of the API, complete: every status it can answer with, and why. */
export type RouteSpec = Omit<RouteDeclaration, 'responses' | 'errors'> & {
  operationId: string;
  responses: Partial<Record<number | ErrorStatus, ResponseSpec>>;
};

/**
 * Whether requests to a route are counted against rate limits: all but the public ones (the
 * probes), which orchestrators call on a schedule; a probe refused with 429 would take a healthy
 * replica out of service.
 */
export function isRateLimited(route: Pick<RouteDeclaration, 'auth'>): boolean {
  return route.auth !== 'public';
}

/** Methods whose requests may carry an Idempotency-Key (the server wraps their handlers). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['POST', 'PATCH']);

/**
 * Whether a route honours Idempotency-Key: POST and PATCH of authenticated routes, except the
 * OpenAI facade's, whose requests stream or wait on a turn (a replay would have to hold the whole
 * turn in one transaction) and whose SDKs retry with keys of their own.
 */
export function isIdempotent(route: Pick<RouteDeclaration, 'method' | 'auth' | 'path'>): boolean {
  return IDEMPOTENT_METHODS.has(route.method) && route.auth !== 'public' && !speaksOpenAI(route.path);
}

const IdempotencyKeyHeader = IdempotencyKey.optional().describe(
  'Makes the request safe to retry for 24 h: a retry with the same key and body gets the first response again ' +
    '(with `Idempotent-Replayed: true`) and changes nothing.',
);

/**
 * Which outcomes an Idempotency-Key remembers, and replays (Stripe's rule): every response the change
 * itself produced, success or refusal. Not remembered, so a retry runs again: conflicts with
 * concurrent work (409), rate limiting (429) and server failures (5xx), none of which changed anything.
 */
export function isRecordable(status: number): boolean {
  return status < 500 && status !== 409 && status !== 429;
}

/**
 * Completes declared routes, keyed by operationId: every error status a route can answer (its own
 * refusals plus what the platform answers for it: auth, bodies, idempotency, rate limits, server
 * failures) and the headers of each response.
 */
export function defineRoutes<const T extends Record<string, RouteDeclaration>>(
  declarations: T,
): { [K in keyof T & string]: Completed<T[K], K> } {
  return Object.fromEntries(
    Object.entries(declarations).map(([operationId, route]) => [operationId, complete(operationId, route)]),
  ) as { [K in keyof T & string]: Completed<T[K], K> };
}

function complete(operationId: string, route: RouteDeclaration): RouteSpec {
  const { errors: own = {}, responses: sent, ...rest } = route;
  const idempotent = isIdempotent(route);
  // A replay repeats what the handler answered: its own bodies, never the platform's refusals.
  const replayed = (status: number | ErrorStatus) =>
    idempotent && typeof status === 'number' && isRecordable(status) && (status in sent || status in own);
  // When to come back: over a limit, a dependency down, or the same key still running.
  const retried = (status: number | ErrorStatus) =>
    status === 429 || status === '5XX' || (status === 503 && !(503 in sent)) || (status === 409 && idempotent);
  const headersOf = (status: number | ErrorStatus): ResponseHeader[] => [
    'X-Request-Id',
    ...(isRateLimited(route) ? (['RateLimit-Policy', 'RateLimit'] as const) : []),
    ...(retried(status) ? ['Retry-After' as const] : []),
    ...(status === 401 ? ['WWW-Authenticate' as const] : []),
    ...(replayed(status) ? ['Idempotent-Replayed' as const] : []),
  ];
  const responses: RouteSpec['responses'] = {};
  for (const [status, response] of Object.entries(sent)) {
    responses[Number(status)] = {
      description: response.description,
      schema: response.schema,
      mediaType: response.mediaType ?? 'application/json',
      errors: [],
      headers: headersOf(Number(status)),
      ...(response.alternatives ? { alternatives: response.alternatives } : {}),
    };
  }
  for (const [status, bodies] of errorResponses(route, idempotent)) {
    responses[status] ??= {
      description: ERROR_DESCRIPTIONS[status],
      schema: errorSchemaOf(route),
      mediaType: 'application/json',
      errors: bodies,
      headers: headersOf(status),
    };
  }
  const headers = idempotent
    ? z.object({ ...route.headers?.shape, [IDEMPOTENCY_HEADER]: IdempotencyKeyHeader })
    : route.headers;
  return { ...rest, operationId, ...(headers ? { headers } : {}), responses };
}
