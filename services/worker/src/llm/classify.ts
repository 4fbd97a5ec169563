/** What went wrong with a provider call, and what the worker should do about it. */
export interface ErrorClass {
  kind:
    | 'rate_limited'
    | 'overloaded'
    | 'server'
    | 'timeout'
    | 'network'
    | 'auth'
    | 'model_not_found'
    | 'endpoint_not_found'
    | 'context_too_long'
    | 'bad_request'
    | 'aborted'
    | 'too_large'
    | 'refused'
    | 'unknown';
  retryable: boolean;
  /** The provider's Retry-After, in ms, when it sent one. */
  retryAfterMs?: number;
  /** Safe for `last_error`: one line of at most MAX_ERROR_MESSAGE_CHARS, without secrets. */
  message: string;
}

/**
 * Bound on `ErrorClass.message`: `last_error` is at most 500 characters, and a turn that gives up
 * appends "; gave up after N attempts" to the message.
 */
export const MAX_ERROR_MESSAGE_CHARS = 450;

/** `text` on one line, at most `max` characters. */
export function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

interface ErrorShape {
  name?: string;
  code?: string;
  /** Anthropic-style error type (`overloaded_error`), also on errors sent inside a stream. */
  type?: string;
  message?: string;
  statusCode?: number;
  status?: number;
  responseHeaders?: Record<string, string | undefined>;
  responseBody?: string;
  cause?: unknown;
  /** The AI SDK's RetryError keeps the error it gave up on here. */
  lastError?: unknown;
  /** Errors sent inside a stream often wrap the details: `{type: 'error', error: {...}}`. */
  error?: unknown;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Parses Retry-After (seconds or an HTTP date) and retry-after-ms into milliseconds. */
export function parseRetryAfter(
  headers: Record<string, string | undefined> | undefined,
  now = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const ms = Number(lower['retry-after-ms']);
  if (Number.isFinite(ms) && ms >= 0 && lower['retry-after-ms'] !== undefined) return ms;
  const value = lower['retry-after'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Walks `cause` chains: SDKs wrap the socket error that tells what really happened. */
function* chain(err: unknown): Generator<ErrorShape> {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    yield current as ErrorShape;
    const shape = current as ErrorShape;
    current = shape.cause ?? shape.lastError ?? shape.error;
  }
}

const AUTH_BODY = /api[ _-]?key not valid|api_key_invalid|invalid[ _-]x-api-key|invalid api key|incorrect api key/;
const CONTEXT_BODY =
  /context_length_exceeded|context length|context window|prompt is too long|too many tokens|exceeds the maximum number of tokens|maximum context/;

/** The provider's own words, for errors where they help an operator (never for auth errors). */
function providerSays(e: ErrorShape): string {
  const said = oneLine(e.message ?? '', 200);
  return said ? `: ${said}` : '';
}

function fromStatus(status: number, e: ErrorShape, model: string | undefined): ErrorClass {
  const retryAfterMs = parseRetryAfter(e.responseHeaders);
  const body = `${e.responseBody ?? ''} ${e.message ?? ''}`.toLowerCase();
  if (status === 429)
    return { kind: 'rate_limited', retryable: true, retryAfterMs, message: 'provider rate limit (429)' };
  if (status === 529 || body.includes('overloaded'))
    return { kind: 'overloaded', retryable: true, retryAfterMs, message: `provider overloaded (${status})` };
  if (status === 408)
    return { kind: 'timeout', retryable: true, retryAfterMs, message: 'provider request timeout (408)' };
  if (status >= 500)
    return { kind: 'server', retryable: true, retryAfterMs, message: `provider server error (${status})` };
  if (status === 401 || status === 403 || AUTH_BODY.test(body))
    return { kind: 'auth', retryable: false, message: `provider rejected the API key (${status})` };
  if (status === 413 || CONTEXT_BODY.test(body))
    return { kind: 'context_too_long', retryable: false, message: 'conversation is too long for the model context' };
  // Providers name the model in a 404 for an unknown one; a 404 that does not is a wrong base_url.
  if (status === 404 && body.includes('model'))
    return { kind: 'model_not_found', retryable: false, message: `model not found: ${model ?? 'unknown'}` };
  if (status === 404)
    return {
      kind: 'endpoint_not_found',
      retryable: false,
      message: 'provider endpoint not found (404): check base_url',
    };
  return {
    kind: 'bad_request',
    retryable: false,
    message: `provider rejected the request (${status})${providerSays(e)}`,
  };
}

/** Errors a provider reports inside an open stream, where there is no HTTP status any more. */
function fromStreamError(type: string, e: ErrorShape): ErrorClass | undefined {
  switch (type) {
    case 'overloaded_error':
      return { kind: 'overloaded', retryable: true, message: 'provider overloaded' };
    case 'rate_limit_error':
    case 'rate_limit_exceeded':
      return { kind: 'rate_limited', retryable: true, message: 'provider rate limit' };
    case 'api_error':
    case 'server_error':
      return { kind: 'server', retryable: true, message: `provider server error${providerSays(e)}` };
    case 'authentication_error':
    case 'permission_error':
      return { kind: 'auth', retryable: false, message: 'provider rejected the API key' };
    case 'invalid_request_error':
      return { kind: 'bad_request', retryable: false, message: `provider rejected the request${providerSays(e)}` };
    default:
      return undefined;
  }
}

/**
 * Decides between retry and failure for any error a provider call throws. Pure: table-tested in
 * classify.test.ts.
 */
export function classifyError(err: unknown, model?: string): ErrorClass {
  const c = classify(err, model);
  return { ...c, message: oneLine(c.message, MAX_ERROR_MESSAGE_CHARS) };
}

/** Errors the worker raised itself, which say what happened in their message. */
const OWN_ERRORS: Record<string, Pick<ErrorClass, 'kind' | 'retryable'>> = {
  ProviderConfigError: { kind: 'bad_request', retryable: false },
  ReplyTooLongError: { kind: 'too_large', retryable: false },
  ResponseTooLargeError: { kind: 'too_large', retryable: false },
  OutboundRefusedError: { kind: 'refused', retryable: false },
};

function classify(err: unknown, model: string | undefined): ErrorClass {
  // The worker's own verdicts come first: a reply cut off for its size is not an abort or a network error.
  for (const e of chain(err)) {
    const own = e.name ? OWN_ERRORS[e.name] : undefined;
    if (own) return { ...own, message: e.message ?? e.name! };
  }
  for (const e of chain(err)) {
    const status = e.statusCode ?? e.status;
    if (typeof status === 'number' && status >= 400) return fromStatus(status, e, model);
    // OpenAI Responses puts the reason of an in-stream error in `code`, next to type 'error'.
    const streamType = e.type === 'error' && typeof e.code === 'string' ? e.code : e.type;
    const streamed = typeof streamType === 'string' ? fromStreamError(streamType, e) : undefined;
    if (streamed) return streamed;
  }
  // An abort caused by a timeout is a timeout: look through the whole chain before calling it an abort.
  if ([...chain(err)].some((e) => e.name === 'TimeoutError'))
    return { kind: 'timeout', retryable: true, message: 'provider call timed out' };
  for (const e of chain(err)) {
    if (e.name === 'AbortError') return { kind: 'aborted', retryable: false, message: 'turn was aborted' };
    if (e.code && NETWORK_CODES.has(e.code))
      return { kind: 'network', retryable: true, message: `network error talking to the provider (${e.code})` };
    if (
      e.name === 'IncompleteStreamError' ||
      (e.name === 'AI_InvalidResponseDataError' && /stream ended/i.test(e.message ?? ''))
    )
      return { kind: 'network', retryable: true, message: 'provider stream ended before the reply was complete' };
    if (e.name === 'AI_LoadAPIKeyError')
      return { kind: 'auth', retryable: false, message: 'provider has no API key configured' };
  }
  const message = err instanceof Error ? err.message : String(err);
  if (/terminated|socket|fetch failed|other side closed/i.test(message))
    return { kind: 'network', retryable: true, message: 'connection to the provider was lost' };
  return { kind: 'unknown', retryable: false, message: `provider call failed: ${oneLine(message, 200)}` };
}
