// The live-delivery measure (bench/run.ts): one client per chat following the chat's event stream
// (GET /api/v1/chats/{id}/events), all open at once on one API process, and the delay of each reply
// delta from the worker's append to its client.
//
// The delay is read off the event itself. An event's SSE id is its Redis Stream id: the append
// script (libs/chat-core/src/event-log.ts) XADDs with `*`, the API's hub reads the stream, and
// services/api/src/http/sse.ts writes `id: ${event.id}`. The id's first part is the Redis server's
// clock, in ms, at the append; Redis runs on this machine, so receipt time (Date.now()) minus it is
// the delivery delay. The id truncates the append time to the millisecond: a delay reads up to 1 ms
// long.
import { Agent, request, type ClientRequest } from 'node:http';

/** One event as the API frames it: `id:`, `event:` and `data:` lines, then a blank line. */
export interface SseEvent {
  id: string;
  event: string;
  data: string;
}

/**
 * The most an event may take before its blank line: the biggest event here is a whole message,
 * far smaller. A stream sending more without ending an event is refused, not buffered.
 */
const MAX_EVENT_CHARS = 64 * 1024;

/**
 * Splits an event stream's text into events, keeping at most one unfinished event (bounded by
 * MAX_EVENT_CHARS). Reads what chatq writes: `\n` line ends, one `field: value` per line.
 * Comments and the `retry:` preamble carry no data and yield no event.
 */
export class SseParser {
  #pending = '';

  push(text: string): SseEvent[] {
    const frames = (this.#pending + text).split('\n\n');
    this.#pending = frames.pop()!;
    if (this.#pending.length > MAX_EVENT_CHARS) {
      throw new Error(`an event stream sent ${this.#pending.length} characters without ending an event`);
    }
    return frames.map(parseFrame).filter((e): e is SseEvent => e !== undefined);
  }
}

function parseFrame(frame: string): SseEvent | undefined {
  const event: SseEvent = { id: '', event: 'message', data: '' };
  let data: string[] | undefined;
  for (const line of frame.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const value = line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
    const field = line.slice(0, colon);
    if (field === 'id') event.id = value;
    else if (field === 'event') event.event = value;
    else if (field === 'data') (data ??= []).push(value);
  }
  if (data === undefined) return undefined;
  event.data = data.join('\n');
  return event;
}

/** When the event with Redis Stream id `id` was appended (ms since the epoch). */
const appendedAt = (id: string) => Number(id.slice(0, id.indexOf('-')));

/**
 * Streams connecting at once: a thousand connects in one burst overflow the API's listen backlog,
 * and the dropped ones come back only after a SYN retry a second later.
 */
const CONNECTING = 100;

/** `fn` over `items`, at most `limit` at a time. */
async function eachAtMost<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) await fn(items[i]!, i);
    }),
  );
}

/** Clients following chats' event streams, and what they have received. */
export interface Followers {
  /**
   * One delay sample (ms) per `message.delta` received: grows by one number per delta, so it is
   * bounded by the turns the measure starts.
   */
  readonly delays: number[];
  /**
   * Resolves once every stream has seen a `message.completed`; rejects when a turn fails or a
   * stream ends or errs first.
   */
  readonly completed: Promise<void>;
  close: () => void;
}

/**
 * Opens one event stream per chat on the API at `url` (from the end of its log) and resolves once
 * every one has answered 200: the API answers only after it has subscribed the stream, so from
 * then on no event of these chats is missed.
 */
export async function followChats(url: string, token: string, chats: readonly string[]): Promise<Followers> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const requests: ClientRequest[] = [];
  const delays: number[] = [];
  const done = new Set<number>();
  let closing = false;
  let settle!: { resolve: () => void; reject: (err: Error) => void };
  const completed = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  // It may fail before anyone awaits it: the awaiting caller still sees the rejection.
  completed.catch(() => {});
  const fail = (err: Error) => {
    if (!closing) settle.reject(err);
  };

  const onEvent = (stream: number, event: SseEvent, at: number) => {
    if (event.event === 'message.delta') delays.push(at - appendedAt(event.id));
    else if (event.event === 'turn.failed') fail(new Error(`a turn failed: ${event.data.slice(0, 300)}`));
    else if (event.event === 'message.completed' && !done.has(stream)) {
      done.add(stream);
      if (done.size === chats.length) settle.resolve();
    }
  };

  const open = (chat: string, stream: number) =>
    new Promise<void>((resolve, reject) => {
      if (closing) return resolve();
      const req = request(`${url}/api/v1/chats/${chat}/events`, {
        agent,
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      });
      requests.push(req);
      req.on('error', (err) => {
        reject(err);
        fail(err);
      });
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`event stream of chat ${chat}: ${res.statusCode}`));
        }
        resolve();
        const parser = new SseParser();
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          const at = Date.now();
          try {
            for (const event of parser.push(text)) onEvent(stream, event, at);
          } catch (err) {
            fail(err as Error);
            req.destroy();
          }
        });
        res.on('error', fail);
        res.on('close', () => fail(new Error(`the event stream of chat ${chat} ended`)));
      });
      req.end();
    });

  const close = () => {
    closing = true;
    for (const req of requests) req.destroy();
    agent.destroy();
  };
  try {
    await eachAtMost(chats, CONNECTING, open);
  } catch (err) {
    close();
    throw err;
  }
  return { delays, completed, close };
}
