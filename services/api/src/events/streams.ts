import type { ChatEventLog } from '@chatq/chat-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ServiceUnavailableError } from '../domain/errors.ts';
import type { SseResponder } from '../http/sse.ts';
import type { EventHub } from './hub.ts';
import { openEventStream } from './stream.ts';

/** Serves chat and owner event logs to SSE clients through the process's one hub. */
export class EventStreams {
  readonly hub: EventHub;
  private readonly log: ChatEventLog;
  private readonly sse: SseResponder;

  constructor(hub: EventHub, log: ChatEventLog, sse: SseResponder) {
    this.hub = hub;
    this.log = log;
    this.sse = sse;
  }

  chatKey(chatId: string): string {
    return this.log.chatKey(chatId);
  }

  ownerKey(userId: string): string {
    return this.log.ownerKey(userId);
  }

  /** Streams `key` to the client. A HEAD request, its checks passed, gets the headers and nothing more. */
  async serve(request: FastifyRequest, reply: FastifyReply, key: string, after: string | undefined): Promise<void> {
    if (request.method === 'HEAD') return this.sse.serveHead(reply);
    const stream = await openEventStream(this.hub, this.log, key, after).catch((err: unknown) => {
      request.log.warn({ err }, 'could not open event stream');
      throw new ServiceUnavailableError('Event stream unavailable.');
    });
    this.sse.serve(request, reply, stream);
  }

  async close(): Promise<void> {
    this.sse.closeAll();
    await this.hub.close();
  }
}
