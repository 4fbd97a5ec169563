import type { LoggedEvent } from '@chatq/chat-core';
import { describe, expect, it } from 'vitest';
import type { EventListener } from './hub.ts';
import { type EventSink, MAX_QUEUED_BYTES, openEventStream } from './stream.ts';

const event = (n: number, size = 10): LoggedEvent => ({
  id: `${n}-0`,
  type: 'message.delta',
  data: JSON.stringify({ turn_id: 't', text: 'x'.repeat(size) }),
});

/** An event log in memory that records every page read, and a hub that hands out its listener. */
function fakeLog(events: LoggedEvent[]) {
  const pages: number[] = [];
  let listener: EventListener | undefined;
  const log = {
    position: async () => ({ lastId: events.at(-1)?.id ?? null, liveTurnId: null, liveText: '', trimmedBefore: null }),
    range: async (_key: string, after: string, count: number) => {
      pages.push(count);
      const from = after === '0' ? 0 : events.findIndex((e) => e.id === after) + 1;
      return events.slice(from, from + count).map((e) => ({ ...e, data: Buffer.from(e.data) }));
    },
  };
  const hub = {
    subscribe: async (_key: string, l: EventListener) => {
      listener = l;
      return () => (listener = undefined);
    },
  };
  /** Appends events to the log and tells the stream, as the hub would. */
  const append = (...added: LoggedEvent[]) => {
    events.push(...added);
    listener?.(added);
  };
  return { log, hub, pages, append };
}

/** A client that takes an event only when the test lets it. */
function heldSink() {
  const sent: string[] = [];
  let release: (() => void) | undefined;
  const sink: EventSink = {
    send: async (e) => {
      sent.push(e.id);
      await new Promise<void>((resolve) => (release = resolve));
      return true;
    },
  };
  const takeOne = async () => {
    while (!release) await Promise.resolve();
    const r = release;
    release = undefined;
    r();
  };
  return { sink, sent, takeOne };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('an event stream replaying its log', () => {
  it('reads the next page only once the client has taken the last', async () => {
    const { log, hub, pages } = fakeLog(Array.from({ length: 30 }, (_, i) => event(i + 1)));
    const stream = await openEventStream(hub, log, 'k', '0');
    const client = heldSink();
    void stream.run(client.sink);
    await flush();
    expect(client.sent).toEqual(['1-0']);
    expect(pages).toHaveLength(1);
    for (let i = 0; i < 7; i++) await client.takeOne();
    await flush();
    expect(pages).toHaveLength(1);
    await client.takeOne();
    await flush();
    expect(pages).toHaveLength(2);
    stream.close();
  });

  it('reads a log of long events a few at a time, and one of deltas a hundred at a time', async () => {
    for (const [size, page] of [
      [100_000, 2],
      [50, 100],
    ] as const) {
      const { log, hub, pages } = fakeLog(Array.from({ length: 250 }, (_, i) => event(i + 1, size)));
      const stream = await openEventStream(hub, log, 'k', '0');
      const sent: string[] = [];
      const run = stream.run({ send: async (e) => (sent.push(e.id), true) });
      await flush();
      expect(sent).toHaveLength(250);
      expect(pages[0]).toBe(8);
      expect(pages[1]).toBe(page);
      stream.close();
      expect(await run).toBe('closed');
    }
  });

  it('sends every event once and in order when live events outrun a slow replay', async () => {
    const { log, hub, append } = fakeLog(Array.from({ length: 20 }, (_, i) => event(i + 1)));
    const stream = await openEventStream(hub, log, 'k', '0');
    const client = heldSink();
    void stream.run(client.sink);
    await flush();
    // More than a client may have queued arrives while it still reads the replay.
    append(...Array.from({ length: 12 }, (_, i) => event(21 + i, 100_000)));
    for (let i = 0; i < 32; i++) await client.takeOne();
    await flush();
    expect(client.sent).toEqual(Array.from({ length: 32 }, (_, i) => `${i + 1}-0`));
    // The replay caught up from the log and the stream is live, not cut off.
    append(event(33));
    await flush();
    expect(client.sent.at(-1)).toBe('33-0');
    stream.close();
  });
});

describe('an event stream gone live', () => {
  it('cuts off a client that falls more than MAX_QUEUED_BYTES behind', async () => {
    const { log, hub, append } = fakeLog([event(1)]);
    const stream = await openEventStream(hub, log, 'k', undefined);
    const client = heldSink();
    const run = stream.run(client.sink);
    append(event(2));
    await flush();
    expect(client.sent).toEqual(['2-0']);
    const size = 100_000;
    append(...Array.from({ length: Math.ceil(MAX_QUEUED_BYTES / size) + 1 }, (_, i) => event(3 + i, size)));
    await client.takeOne();
    expect(await run).toBe('too_slow');
  });

  it('keeps a client that keeps up', async () => {
    const { log, hub, append } = fakeLog([event(1)]);
    const stream = await openEventStream(hub, log, 'k', undefined);
    const sent: string[] = [];
    const run = stream.run({ send: async (e) => (sent.push(e.id), true) });
    for (let i = 0; i < 30; i++) {
      append(event(2 + i, 100_000));
      await flush();
    }
    expect(sent).toHaveLength(30);
    stream.close();
    expect(await run).toBe('closed');
  });
});
