import { type ChatEventLog, compareEventIds, type LoggedEvent } from '@chatq/chat-core';
import { chooseStart } from '../domain/event-cursor.ts';
import type { EventHub } from './hub.ts';

const PAGE = 500;

/** One client's view of an event log: what to send first, then live events. */
export interface EventStream {
  /** Events (and, for a joiner, the live reply so far) to send before anything live. */
  initial: LoggedEvent[];
  /** Starts live delivery; every event goes to `send` once, in log order. */
  start: (send: (event: LoggedEvent) => void) => void;
  close: () => void;
}

/**
 * Opens `key` for one client. It subscribes to the hub first and reads the log second, so the two
 * overlap and nothing falls between; ids at or before the last one sent are dropped. A joiner of a
 * chat whose reply is streaming first gets one delta with the text so far, carrying the id of the
 * newest event it covers, then only later deltas.
 */
export async function openEventStream(
  hub: EventHub,
  log: ChatEventLog,
  key: string,
  after: string | undefined,
): Promise<EventStream> {
  let buffered: LoggedEvent[] | undefined = [];
  let send: ((event: LoggedEvent) => void) | undefined;
  let lastSent = '0-0';
  const deliver = (event: LoggedEvent) => {
    if (compareEventIds(event.id, lastSent) <= 0) return;
    lastSent = event.id;
    send!(event);
  };
  const unsubscribe = await hub.subscribe(key, (events) => {
    if (buffered) buffered.push(...events);
    else events.forEach(deliver);
  });

  const initial: LoggedEvent[] = [];
  try {
    const position = await log.position(key);
    const start = chooseStart(after, position.trimmedBefore);
    if (start.kind === 'resume') {
      let cursor = start.after;
      for (;;) {
        const page = await log.range(key, cursor, PAGE);
        initial.push(...page);
        if (page.length < PAGE) break;
        cursor = page.at(-1)!.id;
      }
      if (start.after !== '0') lastSent = start.after;
    } else if (position.lastId) {
      lastSent = position.lastId;
      if (position.liveTurnId && position.liveText) {
        const data = JSON.stringify({ turn_id: position.liveTurnId, text: position.liveText });
        initial.push({ id: position.lastId, type: 'message.delta', data });
      }
    }
  } catch (err) {
    unsubscribe();
    throw err;
  }
  if (initial.length > 0 && compareEventIds(initial.at(-1)!.id, lastSent) > 0) lastSent = initial.at(-1)!.id;

  return {
    initial,
    start: (sink) => {
      send = sink;
      const pending = buffered!;
      buffered = undefined;
      pending.forEach(deliver);
    },
    close: unsubscribe,
  };
}
