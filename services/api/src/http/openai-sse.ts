import type { FastifyReply } from 'fastify';
import { drained, writeHead } from './sse.ts';

/** A comment line every so often, so proxies keep a stream open while its turn waits in the queue. */
const HEARTBEAT_MS = 15_000;

/**
 * Writes an OpenAI-style event stream: `data: <json>` lines (with `event: <type>` for the Responses
 * stream), ending in `data: [DONE]` for chat completions. Takes the response over from fastify; each
 * write waits until the socket took the last. `signal` aborts when the client goes away.
 */
export class OpenAIEventStream {
  private readonly reply: FastifyReply;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly gone = new AbortController();

  constructor(reply: FastifyReply) {
    this.reply = reply;
    reply.hijack();
    writeHead(reply);
    const res = reply.raw;
    res.on('close', () => this.gone.abort());
    this.heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Aborts once the client has gone. */
  get signal(): AbortSignal {
    return this.gone.signal;
  }

  /** One event; resolves false once the client has gone. */
  async send(data: unknown, event?: string): Promise<boolean> {
    const res = this.reply.raw;
    if (res.destroyed) return false;
    const text = `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
    return res.write(text) || drained(res);
  }

  end(): void {
    clearInterval(this.heartbeat);
    if (!this.reply.raw.destroyed) this.reply.raw.end();
  }
}
