import { type ChatEventLog, compareEventIds, type LoggedEvent, type RawEntry, toLoggedEvent } from '@chatq/chat-core';
import { type Logger, type RedisClient as Redis } from '@chatq/platform';
import { setTimeout as sleep } from 'node:timers/promises';

/** Receives a log's new events, oldest first. Must not throw. */
export type EventListener = (events: LoggedEvent[]) => void;

interface Tail {
  /** Last id read for this log; null until the hub knows where the log ends. */
  cursor: string | null;
  ready: Promise<void>;
  listeners: Set<EventListener>;
}

export interface EventHubOptions {
  log: ChatEventLog;
  /** Sends CLIENT UNBLOCK to the reader; any non-blocking connection will do. */
  commands: Redis;
  /** Opens the reader's own connection (blocking reads need one of their own). */
  connect: () => Redis;
  logger: Logger;
  blockMs?: number;
  batch?: number;
}

/** What the hub holds right now, for tests and metrics. */
export interface EventHubStats {
  logs: number;
  listeners: number;
  reading: boolean;
}

const RETRY_MS = 500;

/**
 * Multiplexes every event-log subscription of this API process onto one blocking XREAD loop on one
 * connection, however many clients watch however many chats. The loop (and its connection) runs only
 * while someone listens; a new log interrupts the blocking read with CLIENT UNBLOCK so it is read
 * at once.
 */
export class EventHub {
  private readonly options: Required<EventHubOptions>;
  private readonly tails = new Map<string, Tail>();
  private loop: Promise<void> | undefined;
  private reader: Redis | undefined;
  private readerId: number | undefined;
  private blocked = false;
  private closed = false;
  private wakeIdle: (() => void) | undefined;

  constructor(options: EventHubOptions) {
    this.options = { blockMs: 5_000, batch: 500, ...options };
  }

  /**
   * Adds `listener` to the log `key`. Resolves once the hub reads the log from a known position: any
   * read of the log the caller makes afterwards overlaps what the listener will get, with no gap
   * (the caller drops ids it has already seen). Returns the unsubscribe function.
   */
  async subscribe(key: string, listener: EventListener): Promise<() => void> {
    if (this.closed) throw new Error('event hub is closed');
    let tail = this.tails.get(key);
    if (!tail) {
      const created: Tail = { cursor: null, listeners: new Set(), ready: Promise.resolve() };
      created.ready = this.options.log.lastId(key).then((last) => {
        created.cursor = last ?? '0-0';
        this.wake();
      });
      this.tails.set(key, created);
      tail = created;
    }
    tail.listeners.add(listener);
    const owned = tail;
    const unsubscribe = () => {
      owned.listeners.delete(listener);
      if (owned.listeners.size > 0 || this.tails.get(key) !== owned) return;
      this.tails.delete(key);
      // With nobody left, let the loop notice at once and give its connection back.
      if (this.tails.size === 0) this.wake();
    };
    try {
      await owned.ready;
    } catch (err) {
      unsubscribe();
      throw err;
    }
    return unsubscribe;
  }

  stats(): EventHubStats {
    let listeners = 0;
    for (const tail of this.tails.values()) listeners += tail.listeners.size;
    return { logs: this.tails.size, listeners, reading: this.loop !== undefined };
  }

  /** Stops reading; listeners get nothing more. */
  async close(): Promise<void> {
    this.closed = true;
    this.tails.clear();
    this.wakeIdle?.();
    this.reader?.disconnect();
    await this.loop;
  }

  private wake(): void {
    if (this.closed) return;
    if (this.loop) {
      this.wakeIdle?.();
      if (this.blocked) void this.unblock();
      return;
    }
    if (this.tails.size === 0) return;
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      this.wake();
    });
  }

  /**
   * CLIENT UNBLOCK only works once Redis has started the XREAD: retry briefly while the read is still
   * in flight, so a new log never waits out a whole block period.
   */
  private async unblock(): Promise<void> {
    for (let attempt = 0; attempt < 20 && this.blocked && this.readerId !== undefined; attempt++) {
      const done = await this.options.commands.client('UNBLOCK', this.readerId).catch(() => 0);
      if (done === 1) return;
      await sleep(5);
    }
  }

  private async run(): Promise<void> {
    const { logger } = this.options;
    while (!this.closed && this.tails.size > 0) {
      const reader = this.options.connect();
      this.reader = reader;
      reader.on('error', (err) => logger.debug({ err }, 'event reader connection error'));
      try {
        await reader.connect();
        this.readerId = Number(await reader.client('ID'));
        await this.readUntilIdle(reader);
      } catch (err) {
        if (!this.closed) {
          logger.warn({ err }, 'event reader failed; retrying');
          await sleep(RETRY_MS);
        }
      } finally {
        this.reader = undefined;
        this.readerId = undefined;
        reader.disconnect();
      }
    }
  }

  private async readUntilIdle(reader: Redis): Promise<void> {
    const { blockMs, batch } = this.options;
    while (!this.closed && this.tails.size > 0) {
      const ready = [...this.tails].filter(([, tail]) => tail.cursor !== null);
      if (ready.length === 0) {
        await new Promise<void>((resolve) => (this.wakeIdle = resolve));
        this.wakeIdle = undefined;
        continue;
      }
      this.blocked = true;
      let result: [string, RawEntry[]][] | null;
      try {
        result = (await reader.xread(
          'COUNT',
          batch,
          'BLOCK',
          blockMs,
          'STREAMS',
          ...ready.map(([key]) => key),
          ...ready.map(([, tail]) => tail.cursor!),
        )) as [string, RawEntry[]][] | null;
      } finally {
        this.blocked = false;
      }
      for (const [key, entries] of result ?? []) this.dispatch(key, entries);
    }
  }

  private dispatch(key: string, entries: RawEntry[]): void {
    const tail = this.tails.get(key);
    if (!tail || tail.cursor === null) return;
    const cursor = tail.cursor;
    const fresh = entries.map(toLoggedEvent).filter((e) => compareEventIds(e.id, cursor) > 0);
    if (fresh.length === 0) return;
    tail.cursor = fresh.at(-1)!.id;
    for (const listener of [...tail.listeners]) listener(fresh);
  }
}
