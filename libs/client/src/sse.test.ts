import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.ts';

/** Feeds `text` to a fresh parser in chunks of `size` characters and returns every event. */
function parse(text: string, size = text.length) {
  const parser = new SseParser();
  const events = [];
  for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
  return { events, parser };
}

describe('SseParser', () => {
  const stream =
    'retry: 2000\n: connected\n\n' +
    'id: 1-0\nevent: message.delta\ndata: {"text":"Hel"}\n\n' +
    ': ping\n\n' +
    'id: 1-1\nevent: message.delta\ndata: {"text":"lo"}\n\n';

  it('reads id, event and data, skips comments and remembers retry', () => {
    const { events, parser } = parse(stream);
    expect(events).toEqual([
      { id: '1-0', event: 'message.delta', data: '{"text":"Hel"}' },
      { id: '1-1', event: 'message.delta', data: '{"text":"lo"}' },
    ]);
    expect(parser.retryMs).toBe(2000);
  });

  it('gives the same events whatever the chunking, down to one character at a time', () => {
    const whole = parse(stream).events;
    for (const size of [1, 2, 3, 7, 13]) expect(parse(stream, size).events).toEqual(whole);
  });

  it('accepts CRLF and CR line ends, even with a CRLF split between chunks', () => {
    const crlf = stream.replaceAll('\n', '\r\n');
    expect(parse(crlf, 1).events).toEqual(parse(stream).events);
    // A trailing CR may be half a CRLF, so the line it ends waits for the next character.
    const cr = stream.replaceAll('\n', '\r');
    expect(parse(cr).events).toHaveLength(1);
    expect(parse(`${cr}: ping\r`).events).toEqual(parse(stream).events);
  });

  it('joins data lines, defaults the event name and keeps the last id for events without one', () => {
    const { events } = parse('id: 7-0\ndata: a\ndata:b\n\ndata: c\n\n');
    expect(events).toEqual([
      { id: '7-0', event: 'message', data: 'a\nb' },
      { id: '7-0', event: 'message', data: 'c' },
    ]);
  });

  it('dispatches nothing for a block without data, and ignores an unfinished event and a bad retry', () => {
    const { events, parser } = parse('event: x\n\nretry: soon\n\nid: 1-0\ndata: {}');
    expect(events).toEqual([]);
    expect(parser.retryMs).toBeUndefined();
  });
});
