import type { ErrorBody } from '../common.ts';
import { isRateLimited, type RouteDeclaration } from './define.ts';

/**
 * The error bodies the API answers with, by what went wrong: the messages are the API's own
 * (`services/api/src/domain/errors.ts`, the services and `http/*`), so the reference shows callers
 * exactly what they will read. A test checks that each one is a message the server can send.
 */
export const ERRORS = {
  // Requests
  invalidRequest: {
    message: 'Invalid request.',
    validations: [{ field: 'body.content', detail: 'must not be empty' }],
  },
  malformedJson: { message: 'Malformed JSON body.' },
  emptyJson: { message: 'Request body must not be empty when content-type is application/json.' },
  contentLength: { message: 'Content-Length does not match the body.' },
  bodyTooLarge: { message: 'Request body is too large.', detail: 'The limit is 262144 bytes.' },
  unsupportedMediaType: { message: 'Unsupported content type; send application/json.' },
  invalidCursor: {
    message: 'Invalid cursor.',
    validations: [{ field: 'querystring.after', detail: 'is not a cursor this list issued' }],
  },
  // Callers
  unauthorized: { message: 'Unauthorized.' },
  forbidden: { message: 'Forbidden.' },
  rateLimited: { message: 'Rate limit exceeded.' },
  tooManyStreams: { message: 'Too many open event streams.' },
  // Idempotency
  idempotencyKeyInFlight: {
    message: 'A request with this Idempotency-Key is still in progress.',
    detail: 'Retry once it has finished.',
  },
  idempotencyKeyReused: { message: 'Idempotency key reused with different parameters.' },
  // Server
  internal: { message: 'Internal server error.' },
  databaseUnavailable: { message: 'Database unavailable.' },
  queueOutOfMemory: { message: 'Queue storage is full; no turn was started. Retry later.' },
  // Chats
  chatNotFound: { message: 'Chat not found.' },
  chatArchived: { message: 'Cannot modify an archived chat.' },
  invalidModelConfig: { message: 'Invalid model config ID.' },
  noDefaultModel: { message: 'No default model config is set; pass model_config_id.' },
  messageNotFound: { message: 'Chat message not found.' },
  notUserMessage: { message: 'Only user messages can be edited.' },
  queueFull: { message: 'Message queue is full.' },
  notInterruptible: { message: 'Chat is not in an interruptible state.' },
  queuedMessageNotFound: { message: 'Queued message not found.' },
  turnNotFound: { message: 'Turn not found.' },
  unknownToolCall: { message: 'Unknown tool call ID.' },
  turnNotWaitingOutputs: { message: 'Turn is not waiting for tool outputs.' },
  turnNotAwaitingApproval: { message: 'Turn is not awaiting approval.' },
  eventStreamUnavailable: { message: 'Event stream unavailable.' },
  spendLimitReached: { message: 'Spend limit reached.' },
  // Administration
  usageReportTooLarge: {
    message: 'Usage report too large.',
    detail: 'More than 5000 groups; narrow from and to.',
  },
  userNotFound: { message: 'User not found.' },
  usernameTaken: { message: 'Username is already taken.' },
  tokenNotFound: { message: 'Token not found.' },
  tokenLimitReached: {
    message: 'Token limit reached.',
    detail: 'Revoke a token (DELETE /api/v1/users/{id}/tokens/{token_id}) to mint another.',
  },
  cannotDisableSelf: { message: 'You cannot disable yourself.' },
  providerNotFound: { message: 'Provider not found.' },
  unknownProvider: {
    message: 'Provider not found.',
    validations: [{ field: 'body.provider_id', detail: 'no provider has this id' }],
  },
  providerNameTaken: { message: 'A provider with this name already exists.' },
  modelConfigNotFound: { message: 'Model config not found.' },
  checkNotQueued: { message: 'Queue unavailable; the provider check was not sent.' },
  checkTimedOut: { message: 'No worker answered the provider check in time; is a worker running?' },
  // Tools
  invalidTool: { message: 'Invalid tool ID.' },
  toolNotFound: { message: 'Tool not found.' },
  toolNameTaken: { message: 'A tool with this name already exists.' },
  webhookFieldsOnly: {
    message: 'Invalid request.',
    validations: [{ field: 'body.url', detail: 'only webhook tools have one' }],
  },
  mcpServerNotFound: { message: 'MCP server not found.' },
  mcpServerNameTaken: { message: 'An MCP server with this name already exists.' },
  mcpListNotQueued: { message: 'Queue unavailable; the MCP server was not asked for its tools.' },
  mcpListTimedOut: { message: 'No worker answered the MCP tool listing in time; is a worker running?' },
  // OpenAI facade (their `code` in OpenAI's shape: OPENAI_ERROR_CODES)
  modelNotFound: {
    message: 'Model not found.',
    detail: 'No enabled model config has this id or display name; GET /openai/v1/models lists them.',
  },
  responseNotFound: { message: 'Response not found.' },
  conversationNotFound: { message: 'Conversation not found.' },
  responseInProgress: { message: 'The conversation has a response in progress.' },
  modelCallFailed: { message: 'The model call failed.', detail: 'provider rejected the API key' },
  unsupportedInput: {
    message: 'Unsupported input.',
    detail: 'Continuing a response takes one user message, or the outputs of its function calls.',
  },
  responseNotCancellable: { message: 'Only a response that is still running can be cancelled.' },
  mcpServerFailed: {
    message: 'The MCP server did not list its tools.',
    detail: 'MCP server answered HTTP 401',
  },
} as const satisfies Record<string, ErrorBody>;

/** Error statuses the API answers with; `5XX` stands for any server failure. */
export type ErrorStatus = 400 | 401 | 402 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 502 | 503 | 504 | '5XX';

/** What each error status means, whichever route answers it. */
export const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'The request is invalid; `validations` names each field at fault.',
  401: 'No valid bearer token.',
  402: 'The turn’s worst-case cost does not fit the user’s spend limit (see `GET /users/me/limits`); nothing was changed.',
  403: 'The caller may not do this.',
  404: 'Not found (or not yours: other users’ chats are never revealed).',
  409: 'Conflicts with work in progress; retry later.',
  413: 'The request body is larger than the server accepts.',
  415: 'The request body is not JSON.',
  422: 'The Idempotency-Key was already used for a different request.',
  429: 'Over a limit; retry after `Retry-After` seconds.',
  502: 'A server chatq called on the caller’s behalf answered with an error; `detail` says what it was.',
  503: 'A dependency is unavailable, or Redis is out of memory (turn-starting routes); nothing was changed, retry after `Retry-After` seconds.',
  504: 'A dependency did not answer in time.',
  '5XX': 'The server failed (500) or its database is unavailable (503); nothing was changed, so a retry is safe.',
};

/**
 * Every error a route can answer, by status: its own refusals after the ones every such route
 * shares (refused input, auth, bodies, idempotency, rate limits, server failures).
 */
export function errorResponses(route: RouteDeclaration, idempotent: boolean): Map<ErrorStatus, ErrorBody[]> {
  // Fastify reads a body on every method but GET, whether or not the route declares one.
  const readsBody = route.method !== 'GET';
  const validates = Boolean(route.params ?? route.query ?? route.body ?? route.headers) || idempotent;
  const shared: [ErrorStatus, ErrorBody[]][] = [
    [400, validates ? [ERRORS.invalidRequest] : []],
    [400, readsBody ? [ERRORS.malformedJson, ERRORS.emptyJson, ERRORS.contentLength] : []],
    [401, route.auth === 'public' ? [] : [ERRORS.unauthorized]],
    [403, route.auth === 'admin' ? [ERRORS.forbidden] : []],
    [409, idempotent ? [ERRORS.idempotencyKeyInFlight] : []],
    [413, readsBody ? [ERRORS.bodyTooLarge] : []],
    [415, readsBody ? [ERRORS.unsupportedMediaType] : []],
    [422, idempotent ? [ERRORS.idempotencyKeyReused] : []],
    [429, isRateLimited(route) ? [ERRORS.rateLimited] : []],
    [503, route.startsTurn ? [ERRORS.queueOutOfMemory] : []],
    ['5XX', [ERRORS.internal, ERRORS.databaseUnavailable]],
  ];
  const all = new Map<ErrorStatus, ErrorBody[]>();
  const add = (status: ErrorStatus, bodies: readonly ErrorBody[]) => {
    if (bodies.length) all.set(status, [...(all.get(status) ?? []), ...bodies]);
  };
  for (const [status, bodies] of shared) add(status, bodies);
  for (const [status, bodies] of Object.entries(route.errors ?? {})) add(Number(status) as ErrorStatus, bodies);
  return all;
}
