import { oneLine } from './classify.ts';

/**
 * The words of a provider a log line may carry: its message up to MESSAGE_CHARS and its error body
 * up to BODY_CHARS, 2 KiB together; wrapped errors get a short line each. Enough to diagnose, and
 * however large a provider's answer, the line stays under 4 KiB.
 */
const MESSAGE_CHARS = 256;
const BODY_CHARS = 2_048 - MESSAGE_CHARS;
const CAUSES = 3;
const CAUSE_CHARS = 160;
const STACK_FRAMES = 6;

/** AI SDK errors whose message quotes the payload they failed on, which can be the reply's text. */
const PAYLOAD_IN_MESSAGE = new Set(['AI_TypeValidationError', 'AI_JSONParseError']);

/** What a logged provider error shows: nothing from the request, a bounded part of the response. */
export interface ProviderErrorLog {
  type: string;
  message: string;
  status?: number;
  code?: string;
  /** The endpoint called, without its query string (some gateways take keys there). */
  url?: string;
  /** The start of the provider's error body, from the first error in the chain that has one. */
  body?: string;
  /** What the error wraps, outermost first, as `Type: message`. */
  causes?: string[];
  stack?: string[];
}

interface Shape {
  name?: unknown;
  message?: unknown;
  statusCode?: unknown;
  code?: unknown;
  url?: unknown;
  responseBody?: unknown;
  stack?: unknown;
  cause?: unknown;
  lastError?: unknown;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function typeOf(e: Shape): string {
  return str(e.name) ?? (e as object).constructor?.name ?? typeof e;
}

function messageOf(e: Shape, max: number): string {
  if (PAYLOAD_IN_MESSAGE.has(typeOf(e))) return '(message quotes the provider payload; omitted)';
  return oneLine(str(e.message) ?? String(e), max);
}

function endpoint(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * The one way the worker logs an error from a provider call (turns and provider checks alike), under
 * the `error` key: pino's `err` serializer would copy the fields of an Error back in.
 * Allow-listed fields only: the AI SDK's errors also carry the request body (`requestBodyValues`:
 * the whole conversation) and the full response body, which must never reach a log line.
 */
export function describeProviderError(err: unknown): ProviderErrorLog {
  if (typeof err !== 'object' || err === null)
    return { type: typeof err, message: oneLine(String(err), MESSAGE_CHARS) };
  const e = err as Shape;
  const described: ProviderErrorLog = { type: typeOf(e), message: messageOf(e, MESSAGE_CHARS) };
  if (typeof e.statusCode === 'number') described.status = e.statusCode;
  if (typeof e.code === 'string') described.code = oneLine(e.code, 64);
  const url = endpoint(e.url);
  if (url) described.url = url;

  const causes: string[] = [];
  let body = str(e.responseBody);
  let next: unknown = e.cause ?? e.lastError;
  for (let depth = 0; depth < CAUSES && typeof next === 'object' && next !== null; depth++) {
    const c = next as Shape;
    causes.push(`${typeOf(c)}: ${messageOf(c, CAUSE_CHARS)}`);
    body ??= str(c.responseBody);
    next = c.cause ?? c.lastError;
  }
  if (causes.length > 0) described.causes = causes;
  if (body) described.body = oneLine(body, BODY_CHARS);
  const frames = str(e.stack)
    ?.split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .slice(0, STACK_FRAMES)
    .map((line) => line.trim());
  if (frames?.length) described.stack = frames;
  return described;
}
