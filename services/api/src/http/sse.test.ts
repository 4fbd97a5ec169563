import { describe, expect, it } from 'vitest';
import { formatSse, streamPreamble } from './sse.ts';

describe('formatSse', () => {
  it('writes id, event and one data line, ended by a blank line', () => {
    const data = JSON.stringify({ turn_id: 'x', text: 'two\nlines' });
    const expected = 'id: 1-0\nevent: message.delta\ndata: {"turn_id":"x","text":"two\\nlines"}\n\n';
    expect(formatSse({ id: '1-0', type: 'message.delta', data })).toBe(expected);
    const replayed = formatSse({ id: '1-0', type: 'message.delta', data: Buffer.from(data) });
    expect(Buffer.isBuffer(replayed) && replayed.toString()).toBe(expected);
  });
});

describe('streamPreamble', () => {
  it('sets the reconnection delay first, then comments, and dispatches no event', () => {
    expect(streamPreamble(2000)).toBe('retry: 2000\n: connected\n\n');
  });
});
