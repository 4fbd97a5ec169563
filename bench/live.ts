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
// The typed client's parser, by path: the bench runs without the `chatq-source` condition that
// resolves @chatq/client to its sources, and sse.ts imports nothing.
import { SseParser, type SseMessage } from '../libs/client/src/sse.ts';
import { eachAtMost } from './stats.ts';

/**
 * The most a stream may send without ending an event: the biggest event here is a whole message,
 * far smaller. A stream sending more is refused, not buffered.
 */
const MAX_EVENT_CHARS = 64 * 1024;

/** When the event with Redis Stream id `id` was appended (ms since the epoch). */
const appendedAt = (id: string) => Number(id.slice(0, id.indexOf('-')));

/**
 * Streams connecting at once: a thousand connects in one burst overflow the API's listen backlog,
 * and the dropped ones come back only after a SYN retry a second later.
 */
const CONNECTING = 100;

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

  const onEvent = (stream: number, event: SseMessage, at: number) => {
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
        // Characters received since the last whole event: what the parser may be holding.
        let unfinished = 0;
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          const at = Date.now();
          unfinished += text.length;
          const events = parser.push(text);
          if (events.length > 0) unfinished = text.length - text.lastIndexOf('\n\n') - 2;
          if (unfinished > MAX_EVENT_CHARS) {
            fail(new Error(`the event stream of chat ${chat} sent ${unfinished} characters without ending an event`));
            req.destroy();
            return;
          }
          for (const event of events) onEvent(stream, event, at);
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
