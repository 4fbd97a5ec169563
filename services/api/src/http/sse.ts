import type { LoggedEvent } from '@chatq/chat-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { EventStream } from '../events/stream.ts';

/** A client this far behind is cut off; it reconnects with Last-Event-ID and loses nothing. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

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
function writeHead(reply: FastifyReply): void {
  const res = reply.raw;
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
  res.writeHead(200, HEADERS);
}

/** One SSE event; JSON data never contains a raw newline, so one `data:` line suffices. */
export function formatSse(event: LoggedEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${event.data}\n\n`;
}

/** What a stream starts with, before any event: the reconnection delay, and a comment. */
export function streamPreamble(reconnectMs: number): string {
  return `retry: ${reconnectMs}\n: connected\n\n`;
}

/**
 * Writes event streams as Server-Sent Events: takes the response over from fastify, sends a comment
 * heartbeat so proxies keep quiet streams open, and releases the stream when the client goes.
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
    const write = (chunk: string) => {
      if (res.destroyed) return;
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        request.log.info('event stream client too slow; disconnecting it');
        res.destroy();
        return;
      }
      res.write(chunk);
    };
    write(streamPreamble(RECONNECT_MS));
    const send = (event: LoggedEvent) => write(formatSse(event));
    stream.initial.forEach(send);
    stream.start(send);
    const heartbeat = setInterval(() => write(': ping\n\n'), this.heartbeatMs);
    this.open.add(res);
    res.on('close', () => {
      clearInterval(heartbeat);
      stream.close();
      this.open.delete(res);
    });
  }

  /** Ends every open stream (clients reconnect elsewhere), so the server can drain. */
  closeAll(): void {
    for (const res of this.open) res.end();
  }
}
