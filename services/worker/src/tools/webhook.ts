import { MAX_TOOL_OUTPUT_CHARS } from '@chatq/contracts';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutboundRefusedError, ResponseTooLargeError } from '../outbound.ts';
import { type ToolOutcome, toolError } from './output.ts';

/** A webhook tool as the loop calls it; `signingSecret` is plaintext only here, never logged. */
export interface WebhookTool {
  url: string;
  signingSecret: string | null;
  timeoutMs: number;
}

/** The JSON body of every webhook call. */
export interface WebhookCall {
  tool_call_id: string;
  name: string;
  input: unknown;
  chat_id: string;
  turn_id: string;
}

/** Waits before each retry of a 5xx, a 429, a timeout or a lost connection: three retries in all. */
export const WEBHOOK_RETRY_DELAYS_MS = [250, 500, 1_000];

/** How much of a failed call's body the model is shown, in characters. */
const ERROR_BODY_CHARS = 1_000;

/**
 * `X-Chatq-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. The timestamp
 * inside the MAC lets a receiver refuse replays older than it tolerates.
 */
export function webhookSignature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** The call failed in a way a retry may fix. */
class Transient extends Error {}

/**
 * Calls a webhook tool: POST its url with the call as JSON, `Idempotency-Key: <tool_call_id>` (the
 * same on every retry, so the receiver can tell a retry from a new call) and, with a secret, the
 * signature (fresh on each try). A 2xx JSON body is the output, any other 2xx body its text; a
 * 5xx, 429, timeout (the tool's `timeoutMs`, per try) or lost connection is retried after each of
 * WEBHOOK_RETRY_DELAYS_MS, then becomes an error result; a 4xx, a refused address (the outbound
 * policy of `fetch`) or an oversized body is an error result at once. `signal` (the turn's stop)
 * aborts the call and the wait between tries, and is thrown: a stopped turn records nothing.
 */
export async function callWebhook(
  tool: WebhookTool,
  call: WebhookCall,
  fetch: typeof globalThis.fetch,
  signal: AbortSignal,
  delaysMs: readonly number[] = WEBHOOK_RETRY_DELAYS_MS,
): Promise<ToolOutcome> {
  const body = JSON.stringify(call);
  let lastError = '';
  for (let attempt = 0; attempt <= delaysMs.length; attempt++) {
    if (attempt > 0) await sleep(delaysMs[attempt - 1], undefined, { signal });
    try {
      return await once(tool, call.tool_call_id, body, fetch, signal);
    } catch (err) {
      signal.throwIfAborted();
      if (!(err instanceof Transient)) throw err;
      lastError = err.message;
    }
  }
  return toolError(`${lastError}; gave up after ${delaysMs.length + 1} tries`);
}

async function once(
  tool: WebhookTool,
  idempotencyKey: string,
  body: string,
  fetch: typeof globalThis.fetch,
  signal: AbortSignal,
): Promise<ToolOutcome> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': idempotencyKey };
  if (tool.signingSecret) {
    headers['x-chatq-signature'] = webhookSignature(tool.signingSecret, body, Math.floor(Date.now() / 1000));
  }
  const timeout = AbortSignal.timeout(tool.timeoutMs);
  let response: Response;
  let text: string | undefined;
  try {
    response = await fetch(tool.url, { method: 'POST', headers, body, signal: AbortSignal.any([signal, timeout]) });
    text = await readBounded(response);
  } catch (err) {
    signal.throwIfAborted();
    if (timeout.aborted) throw new Transient(`webhook did not answer within ${tool.timeoutMs} ms`);
    if (err instanceof OutboundRefusedError) return toolError(`webhook call refused: ${err.message}`);
    if (err instanceof ResponseTooLargeError)
      return toolError(`webhook answered more than ${MAX_TOOL_OUTPUT_CHARS} bytes; dropped`);
    throw new Transient(`could not reach the webhook (${describeNetworkError(err)})`);
  }
  if (text === undefined) {
    return toolError(`webhook answered more than ${MAX_TOOL_OUTPUT_CHARS} bytes; dropped`);
  }
  if (response.status === 429 || response.status >= 500) {
    throw new Transient(`webhook answered HTTP ${response.status}`);
  }
  if (!response.ok) {
    return toolError(`webhook answered HTTP ${response.status}: ${text.slice(0, ERROR_BODY_CHARS)}`);
  }
  if (/^application\/([\w.+-]+\+)?json\b/i.test(response.headers.get('content-type') ?? '')) {
    try {
      return { output: JSON.parse(text) as unknown, is_error: false };
    } catch {
      return toolError('webhook answered invalid JSON');
    }
  }
  return { output: text, is_error: false };
}

/** The body as text, or undefined when it is longer than MAX_TOOL_OUTPUT_CHARS bytes (not read further). */
async function readBounded(response: Response): Promise<string | undefined> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_TOOL_OUTPUT_CHARS) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A network error's code (ECONNREFUSED...), never its message: it could hold the url's query. */
function describeNetworkError(err: unknown): string {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return 'network error';
}
