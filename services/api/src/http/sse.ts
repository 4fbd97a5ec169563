import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { EventStream, StreamedEvent } from '../events/stream.ts';

/**
 * A client that has not taken a write for this long is cut off (it reconnects with Last-Event-ID):
 * an open stream must not hold its memory for a peer that stopped reading.
 */
const STALLED_MS = 60_000;

/**
 * How long EventSource waits before reconnecting a dropped stream. Browsers default to several
 * seconds; a stream ends whenever a replica drains, and the client loses nothing by coming back
 * sooner (it resumes with Last-Event-ID).
 */
const RECONNECT_MS = 2_000;

const HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/** Sends the headers set on the reply (x-request-id, rate limits, ...) and the event-stream ones. */
export function writeHead(reply: FastifyReply): void {
  const res = reply.raw;
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
  res.writeHead(200, HEADERS);
}

/**
 * One SSE event; JSON data never contains a raw newline, so one `data:` line suffices. Data read
 * as bytes (a replay) stays bytes: the event is one buffer, never a decoded string.
 */
export function formatSse(event: StreamedEvent): string | Buffer {
  const head = `id: ${event.id}\nevent: ${event.type}\ndata: `;
  if (typeof event.data === 'string') return `${head}${event.data}\n\n`;
  return Buffer.concat([Buffer.from(head), event.data, EVENT_END]);
}

const EVENT_END = Buffer.from('\n\n');

/** What a stream starts with, before any event: the reconnection delay, and a comment. */
export function streamPreamble(reconnectMs: number): string {
  return `retry: ${reconnectMs}\n: connected\n\n`;
}

/** Resolves true once `res` can take more, false if it closes first. */
export function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = settle(true);
    const onClose = settle(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/**
 * Writes event streams as Server-Sent Events: takes the response over from fastify, writes each
 * event only once the socket has taken the last (`write()` false: wait for `drain`), sends a
 * comment heartbeat so proxies keep quiet streams open, and releases the stream when the client
 * goes. A client that stops reading is cut off.
 */
export class SseResponder {
  private readonly heartbeatMs: number;
  private readonly open = new Set<ServerResponse>();

  constructor(heartbeatMs: number) {
    this.heartbeatMs = heartbeatMs;
  }

  /** A HEAD request: the stream's headers, then the end, with nothing opened. */
  serveHead(reply: FastifyReply): void {
    reply.hijack();
    writeHead(reply);
    reply.raw.end();
  }

  serve(request: FastifyRequest, reply: FastifyReply, stream: EventStream): void {
    reply.hijack();
    const res = reply.raw;
    // The client may have left while the stream was being opened: 'close' will not fire again.
    if (res.destroyed || request.raw.socket.destroyed) {
      stream.close();
      return;
    }
    writeHead(reply);
    // Since when the socket has held a write it could not take, or undefined while it keeps up.
    let stalledSince: number | undefined;
    const send = async (event: StreamedEvent): Promise<boolean> => {
      if (res.destroyed) return false;
      if (res.write(formatSse(event))) return true;
      stalledSince ??= Date.now();
      const ok = await drained(res);
      stalledSince = undefined;
      return ok;
    };
    res.write(streamPreamble(RECONNECT_MS));
    const heartbeat = setInterval(() => {
      if (stalledSince === undefined) res.write(': ping\n\n');
      else if (Date.now() - stalledSince > STALLED_MS) {
        request.log.info('event stream client stopped reading; disconnecting it');
        res.destroy();
      }
    }, this.heartbeatMs);
    this.open.add(res);
    res.on('close', () => {
      clearInterval(heartbeat);
      stream.close();
      this.open.delete(res);
    });
    stream.run({ send }).then(
      (end) => {
        if (end !== 'too_slow') return;
        request.log.info('event stream client too slow; disconnecting it');
        res.destroy();
      },
      (err: unknown) => {
        // The log became unreadable mid-stream: end it; the client resumes with Last-Event-ID.
        request.log.warn({ err }, 'event stream failed');
        res.end();
      },
    );
  }

  /** Ends every open stream (clients reconnect elsewhere), so the server can drain. */
  closeAll(): void {
    for (const res of this.open) res.end();
  }
}
