import type { LoggedEvent } from '@chatq/chat-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { EventStream } from '../events/stream.ts';

/** A client this far behind is cut off; it reconnects with Last-Event-ID and loses nothing. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** One SSE event; JSON data never contains a raw newline, so one `data:` line suffices. */
export function formatSse(event: LoggedEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${event.data}\n\n`;
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

  serve(request: FastifyRequest, reply: FastifyReply, stream: EventStream): void {
    reply.hijack();
    const res = reply.raw;
    // The client may have left while the stream was being opened: 'close' will not fire again.
    if (res.destroyed || request.raw.socket.destroyed) {
      stream.close();
      return;
    }
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const write = (chunk: string) => {
      if (res.destroyed) return;
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        request.log.info('event stream client too slow; disconnecting it');
        res.destroy();
        return;
      }
      res.write(chunk);
    };
    write(': connected\n\n');
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
