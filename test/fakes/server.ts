import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Token counts a fake reports, in neutral names; each protocol writes them in its own fields. */
export interface FakeUsage {
  input: number;
  output: number;
  reasoning?: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** A tool call a fake model makes, in neutral names; each protocol streams it in its own way. */
export interface FakeToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
}

/** What a fake does with one request. Requests take steps in order; once they run out, `reply`. */
export type Step =
  /** A streamed step that calls tools (the arguments in a few pieces where the protocol streams them). */
  | { toolCalls: FakeToolCall[]; usage?: FakeUsage }
  /** A streamed reply in these chunks, finished with the provider's end marker and usage. */
  | { reply: string[]; usage?: FakeUsage }
  /** An error response in the protocol's own body shape (`message` overrides its usual text). */
  | { status: number; headers?: Record<string, string>; message?: string }
  /** Starts a reply, sends these chunks, then drops the connection mid-stream. */
  | { disconnectAfter: string[] }
  /** Starts a reply, sends these chunks, then ends the response cleanly without finishing the reply. */
  | { truncateAfter: string[] }
  /** Starts a reply, sends these chunks, then reports an error inside the stream (HTTP status stays 200). */
  | { streamErrorAfter: string[]; error: 'overloaded' | 'server' }
  /** Accepts the request and never answers, until the client gives up. */
  | { hang: true }
  /**
   * Streams `delta` as reply deltas, `everyMs` apart (as fast as the client reads when 0), until
   * `bytes` were sent (then the stream ends without finishing the reply) or, without `bytes`, until
   * the client goes away.
   */
  | { flood: string; bytes?: number; everyMs?: number }
  /** An error response with a body of `bytes` bytes (a JSON error whose message is filler). */
  | { status: number; bodyBytes: number }
  /** A redirect to `location` (relative to the request, or absolute). */
  | { redirect: string; status: 301 | 302 | 303 | 307 | 308 };

/** One request as the fake saw it, normalised across protocols. */
export interface Received {
  /** When the request arrived (epoch ms). */
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
  /** The API key from wherever the protocol puts it. */
  key: string | undefined;
  model: string | undefined;
  messages: { role: string; content: string }[];
  /** When the client closed the connection before the response was complete (an aborted call). */
  closedAt?: number;
  /** Bytes of response body written to the socket (flood and bodyBytes steps). */
  sentBytes?: number;
}

/** How one provider API reads requests and writes responses. */
export interface Protocol {
  /** The model name when the request is for this protocol's streaming endpoint; else undefined. */
  route(method: string, path: string, body: any): { model: string | undefined } | undefined;
  key(headers: IncomingHttpHeaders): string | undefined;
  messages(body: any): { role: string; content: string }[];
  /** The SSE events of a reply, in order; `complete` false stops before the end marker and usage. */
  events(model: string, chunks: string[], usage: FakeUsage, body: any, complete: boolean): string[];
  error(status: number, message: string | undefined): { body: unknown; headers?: Record<string, string> };
  /** The SSE event a provider sends when it fails after the stream started. */
  streamError(kind: 'overloaded' | 'server'): string;
  /** The SSE events of a step that calls tools, end marker and usage included. */
  toolCallEvents?(model: string, calls: FakeToolCall[], usage: FakeUsage, body: any): string[];
}

/** A call's arguments as JSON in three pieces, as providers stream them in deltas. */
export function argumentPieces(input: unknown): string[] {
  const json = JSON.stringify(input);
  const third = Math.ceil(json.length / 3);
  return [json.slice(0, third), json.slice(third, 2 * third), json.slice(2 * third)].filter(Boolean);
}

export const DEFAULT_REPLY = ['Hello', ' from', ' the fake'];
export const DEFAULT_USAGE: FakeUsage = { input: 11, output: 3 };

/** A provider API on 127.0.0.1 that speaks `protocol`, runs scripted steps and records requests. */
export interface FakeProvider {
  /** `http://127.0.0.1:port`, without any API path. */
  origin: string;
  received: Received[];
  /** Queues steps for the next requests. */
  script: (...steps: Step[]) => void;
  close: () => Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<any> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

function sendError(
  res: ServerResponse,
  protocol: Protocol,
  step: { status: number; headers?: Record<string, string>; message?: string },
) {
  const { body, headers } = protocol.error(step.status, step.message);
  res.writeHead(step.status, { 'content-type': 'application/json', ...headers, ...step.headers });
  res.end(JSON.stringify(body));
}

/** Writes `next()` until it returns undefined or the client goes away, heeding backpressure. */
async function pump(res: ServerResponse, entry: Received, next: () => string | undefined, everyMs = 0) {
  entry.sentBytes = 0;
  const closed = new Promise((resolve) => res.once('close', resolve));
  for (let chunk = next(); chunk !== undefined && !res.destroyed; chunk = next()) {
    entry.sentBytes += Buffer.byteLength(chunk);
    if (!res.write(chunk)) await Promise.race([new Promise((resolve) => res.once('drain', resolve)), closed]);
    if (everyMs > 0) await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  res.end();
}

function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

export async function startFake(protocol: Protocol): Promise<FakeProvider> {
  const steps: Step[] = [];
  const received: Received[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const at = Date.now();
      const url = new URL(req.url ?? '/', 'http://fake');
      const body = await readBody(req);
      const route = protocol.route(req.method ?? 'GET', url.pathname, body);
      const entry: Received = {
        at,
        method: req.method ?? 'GET',
        path: url.pathname + url.search,
        headers: req.headers,
        body,
        key: protocol.key(req.headers),
        model: route?.model,
        messages: route && body ? protocol.messages(body) : [],
      };
      received.push(entry);
      res.on('close', () => {
        if (!res.writableFinished) entry.closedAt = Date.now();
      });
      if (!route) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no such route' }));
        return;
      }
      const step = steps.shift() ?? { reply: DEFAULT_REPLY };
      const model = route.model ?? 'unknown';
      if ('redirect' in step) {
        res.writeHead(step.status, { location: step.redirect }).end();
        return;
      }
      if ('bodyBytes' in step) {
        res.writeHead(step.status, { 'content-type': 'application/json' });
        const filler = 'x'.repeat(64 * 1024);
        const parts = [
          `{"error":{"message":"`,
          ...Array(Math.ceil(step.bodyBytes / filler.length)).fill(filler),
          '"}}',
        ];
        return pump(res, entry, () => parts.shift());
      }
      if ('status' in step) return sendError(res, protocol, step);
      if ('toolCalls' in step) {
        if (!protocol.toolCallEvents) throw new Error('this fake does not speak tool calls');
        startStream(res);
        res.end(protocol.toolCallEvents(model, step.toolCalls, step.usage ?? DEFAULT_USAGE, body).join(''));
        return;
      }
      if ('hang' in step) return startStream(res);
      startStream(res);
      if ('flood' in step) {
        // Deltas in batches of up to 64 KiB of events; the protocol's opening events go out once.
        const head = protocol.events(model, [], DEFAULT_USAGE, body, false).length;
        const perDelta = protocol.events(model, [step.flood], DEFAULT_USAGE, body, false).slice(head).join('');
        const batch = step.everyMs ? 1 : Math.max(1, Math.floor(65_536 / perDelta.length));
        const opening = protocol.events(model, [], DEFAULT_USAGE, body, false).join('');
        let first = true;
        return pump(
          res,
          entry,
          () => {
            if (step.bytes !== undefined && entry.sentBytes! >= step.bytes) return undefined;
            const events = perDelta.repeat(batch);
            if (!first) return events;
            first = false;
            return opening + events;
          },
          step.everyMs,
        );
      }
      if ('disconnectAfter' in step) {
        const events = protocol.events(model, step.disconnectAfter, DEFAULT_USAGE, body, false);
        res.write(events.join(''), () => res.socket?.destroy());
        return;
      }
      if ('streamErrorAfter' in step) {
        const events = protocol.events(model, step.streamErrorAfter, DEFAULT_USAGE, body, false);
        res.end(events.join('') + protocol.streamError(step.error));
        return;
      }
      if ('truncateAfter' in step) {
        res.end(protocol.events(model, step.truncateAfter, DEFAULT_USAGE, body, false).join(''));
        return;
      }
      res.end(protocol.events(model, step.reply, step.usage ?? DEFAULT_USAGE, body, true).join(''));
    })().catch((err: unknown) => {
      res.destroy(err as Error);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    script: (...more) => steps.push(...more),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Text content of a message whose content is a string or a list of `{type: 'text', text}` parts. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((p: { type?: string; text?: string }) => (p.type === 'text' || p.text !== undefined ? (p.text ?? '') : ''))
      .join('');
  return '';
}
