import { type ChatEventLog, compareEventIds, type LoggedEvent, type ReplayedEvent } from '@chatq/chat-core';
import { chooseStart } from '../domain/event-cursor.ts';
import type { EventHub } from './hub.ts';

/** Most events one replay page reads from the log. */
const PAGE_EVENTS = 100;
/**
 * What one replay page should weigh. Events range from a few bytes (deltas) to a whole message;
 * each page's size follows the largest event of the one before, so a log of long messages is read
 * a few at a time and a log of deltas a hundred at a time.
 */
const PAGE_BYTES = 256 * 1024;
/** The first page, read before the log's event sizes are known. */
const FIRST_PAGE_EVENTS = 8;
/**
 * Live events one client may have waiting while it takes earlier ones. A client this far behind
 * is cut off: it reconnects with Last-Event-ID and reads the rest from the log, in pages.
 */
export const MAX_QUEUED_BYTES = 1024 * 1024;

/** An event on its way to a client: live ones carry their data as text, replayed ones as bytes. */
export type StreamedEvent = LoggedEvent | ReplayedEvent;

/** Where a stream's events go: `send` resolves once the client can take more, false once it is gone. */
export interface EventSink {
  send: (event: StreamedEvent) => Promise<boolean>;
}

/** Why a stream stopped sending. */
export type StreamEnd = 'closed' | 'client_gone' | 'too_slow';

/** One client's view of an event log. */
export interface EventStream {
  /**
   * Sends the replay (or, for a joiner, the live reply so far), then live events, each once and in
   * log order, never faster than `sink` takes them; resolves when the stream ends.
   */
  run: (sink: EventSink) => Promise<StreamEnd>;
  close: () => void;
}

/** How many events the next page reads, from the events of the last one. */
export function nextPageSize(page: readonly StreamedEvent[]): number {
  const largest = Math.max(1, ...page.map((e) => e.data.length));
  return Math.min(PAGE_EVENTS, Math.max(1, Math.floor(PAGE_BYTES / largest)));
}

/**
 * The live events a client has not taken yet, bounded by `maxBytes`. While a replay runs, going
 * over the bound only drops the queue (the replay reads those events from the log); once live,
 * the client is too slow and the queue refuses everything from then on.
 */
export class LiveQueue {
  private readonly maxBytes: number;
  private events: LoggedEvent[] = [];
  private bytes = 0;
  private replaying = true;
  private missed = false;
  private ended: 'closed' | 'too_slow' | undefined;
  private wake: (() => void) | undefined;

  constructor(maxBytes = MAX_QUEUED_BYTES) {
    this.maxBytes = maxBytes;
  }

  push(events: readonly LoggedEvent[]): void {
    if (this.ended) return;
    for (const event of events) {
      this.events.push(event);
      this.bytes += event.data.length;
    }
    if (this.bytes > this.maxBytes) {
      if (!this.replaying) return this.end('too_slow');
      this.clear();
      this.missed = true;
    }
    this.wake?.();
  }

  /** Drops what a replay has already sent: queued events up to and including `id`. */
  dropThrough(id: string): void {
    let n = 0;
    while (n < this.events.length && compareEventIds(this.events[n]!.id, id) <= 0) {
      this.bytes -= this.events[n]!.data.length;
      n++;
    }
    if (n > 0) this.events = this.events.slice(n);
  }

  /**
   * Ends the replay, unless the queue dropped events since the last call: then the replay must read
   * on (false), as those events are only in the log now.
   */
  goLive(): boolean {
    if (this.missed) {
      this.missed = false;
      return false;
    }
    this.replaying = false;
    return true;
  }

  /** The oldest waiting event, once there is one; why the queue ended, once it has. */
  async next(): Promise<LoggedEvent | 'closed' | 'too_slow'> {
    while (!this.ended && this.events.length === 0) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    if (this.ended) return this.ended;
    const event = this.events.shift()!;
    this.bytes -= event.data.length;
    return event;
  }

  end(why: 'closed' | 'too_slow'): void {
    this.ended ??= why;
    this.clear();
    this.wake?.();
  }

  private clear(): void {
    this.events = [];
    this.bytes = 0;
  }
}

/**
 * Opens `key` for one client. It subscribes to the hub first and reads the log second, so the two
 * overlap and nothing falls between; ids at or before the last one sent are dropped. A replay
 * reads the log a page at a time, the next page only once the client has taken the last, so a
 * slow client costs one page of memory, not the log. A joiner of a chat whose reply is streaming
 * first gets one delta with the text so far, carrying the id of the newest event it covers, then
 * only later deltas.
 */
export async function openEventStream(
  hub: Pick<EventHub, 'subscribe'>,
  log: Pick<ChatEventLog, 'position' | 'range'>,
  key: string,
  after: string | undefined,
): Promise<EventStream> {
  const live = new LiveQueue();
  const unsubscribe = await hub.subscribe(key, (events) => live.push(events));
  let position;
  try {
    position = await log.position(key);
  } catch (err) {
    unsubscribe();
    throw err;
  }
  const start = chooseStart(after, position.trimmedBefore);
  const close = () => {
    unsubscribe();
    live.end('closed');
  };

  const run = async (sink: EventSink): Promise<StreamEnd> => {
    let lastSent = '0-0';
    const deliver = async (event: StreamedEvent) => {
      if (compareEventIds(event.id, lastSent) <= 0) return true;
      lastSent = event.id;
      return sink.send(event);
    };

    if (start.kind === 'resume') {
      if (start.after !== '0') lastSent = start.after;
      let cursor = start.after;
      let count = FIRST_PAGE_EVENTS;
      for (;;) {
        const page = await log.range(key, cursor, count);
        for (const event of page) if (!(await deliver(event))) return 'client_gone';
        // Live events the page covered need not wait in memory for the replay to end.
        live.dropThrough(lastSent);
        if (page.length > 0) cursor = page.at(-1)!.id;
        if (page.length < count && live.goLive()) break;
        count = page.length < count ? count : nextPageSize(page);
      }
    } else {
      live.goLive();
      if (position.lastId) {
        if (position.liveTurnId && position.liveText) {
          const data = JSON.stringify({ turn_id: position.liveTurnId, text: position.liveText });
          if (!(await deliver({ id: position.lastId, type: 'message.delta', data }))) return 'client_gone';
        }
        lastSent = position.lastId;
      }
    }

    for (;;) {
      const event = await live.next();
      if (event === 'closed' || event === 'too_slow') return event;
      if (!(await deliver(event))) return 'client_gone';
    }
  };

  return { run, close };
}
