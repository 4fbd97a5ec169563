import type { ChatEventLog } from '@chatq/chat-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ServiceUnavailableError, TooManyStreamsError } from '../domain/errors.ts';
import type { SseResponder } from '../http/sse.ts';
import type { EventHub } from './hub.ts';
import { openEventStream } from './stream.ts';

/**
 * Open streams per user on this process, each counted from before it opens until it closes. The
 * limit guards what a stream costs: this process's sockets and memory, so it is counted here
 * rather than cluster-wide (a count in Redis would outlive a crashed replica's streams, and fail
 * with Redis).
 */
export class StreamSlots {
  private readonly max: number;
  private readonly open = new Map<string, number>();

  constructor(max: number) {
    this.max = max;
  }

  /** Takes one of `userId`'s slots, or refuses with 429; the returned function gives it back, once. */
  take(userId: string): () => void {
    const held = this.open.get(userId) ?? 0;
    if (held >= this.max) throw new TooManyStreamsError();
    this.open.set(userId, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.open.get(userId)! - 1;
      if (left === 0) this.open.delete(userId);
      else this.open.set(userId, left);
    };
  }
}

/** Serves chat and owner event logs to SSE clients through the process's one hub. */
export class EventStreams {
  readonly hub: EventHub;
  private readonly log: ChatEventLog;
  private readonly sse: SseResponder;
  private readonly slots: StreamSlots;

  constructor(hub: EventHub, log: ChatEventLog, sse: SseResponder, maxPerUser: number) {
    this.hub = hub;
    this.log = log;
    this.sse = sse;
    this.slots = new StreamSlots(maxPerUser);
  }

  chatKey(chatId: string): string {
    return this.log.chatKey(chatId);
  }

  ownerKey(userId: string): string {
    return this.log.ownerKey(userId);
  }

  /**
   * Streams `key` to the client, within the caller's open-stream limit. A HEAD request, its checks
   * passed, gets the headers and nothing more.
   */
  async serve(request: FastifyRequest, reply: FastifyReply, key: string, after: string | undefined): Promise<void> {
    if (request.method === 'HEAD') return this.sse.serveHead(reply);
    const release = this.slots.take(request.user.id);
    const stream = await openEventStream(this.hub, this.log, key, after).catch((err: unknown) => {
      release();
      request.log.warn({ err }, 'could not open event stream');
      throw new ServiceUnavailableError('Event stream unavailable.');
    });
    this.sse.serve(request, reply, {
      run: stream.run,
      close: () => {
        release();
        stream.close();
      },
    });
  }

  async close(): Promise<void> {
    this.sse.closeAll();
    await this.hub.close();
  }
}
