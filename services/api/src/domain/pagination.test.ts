import { describe, expect, it } from 'vitest';
import { BadRequestError } from './errors.ts';
import { pageRequest, seqCursor, toPage, uuidCursor } from './pagination.ts';

const ID = '0190f0e8-7b8a-7c3d-9e4f-0123456789ab';

describe('cursors', () => {
  it.each([
    ['a uuid cursor', uuidCursor, ID],
    ['a seq cursor', seqCursor, '12345678901234567'],
  ])('round-trips %s', (_, codec, key) => {
    expect(codec.decode(codec.encode(key))).toBe(key);
  });

  it.each([
    ['garbage', uuidCursor, '!!!'],
    ['a seq cursor given to a uuid list', uuidCursor, seqCursor.encode('42')],
    ['a uuid cursor given to a seq list', seqCursor, uuidCursor.encode(ID)],
    ['a seq of zero', seqCursor, Buffer.from('s0').toString('base64url')],
    ['a seq with a sign', seqCursor, Buffer.from('s-1').toString('base64url')],
  ])('rejects %s', (_, codec, cursor) => {
    expect(codec.decode(cursor)).toBeUndefined();
  });
});

describe('pageRequest', () => {
  it('starts at the beginning without a cursor', () => {
    expect(pageRequest({ limit: 20 }, uuidCursor)).toEqual({ limit: 20, direction: 'after', cursor: null });
  });

  it('goes back with before', () => {
    expect(pageRequest({ limit: 5, before: uuidCursor.encode(ID) }, uuidCursor)).toEqual({
      limit: 5,
      direction: 'before',
      cursor: ID,
    });
  });

  it.each([
    ['both cursors', { limit: 5, after: uuidCursor.encode(ID), before: uuidCursor.encode(ID) }, 'querystring.before'],
    ['a foreign after', { limit: 5, after: 'nope' }, 'querystring.after'],
    ['a foreign before', { limit: 5, before: 'nope' }, 'querystring.before'],
  ])('refuses %s with a 400 naming the field', (_, query, field) => {
    const attempt = () => pageRequest(query, uuidCursor);
    expect(attempt).toThrow(BadRequestError);
    expect(attempt).toThrow(expect.objectContaining({ validations: [expect.objectContaining({ field })] }));
  });
});

describe('toPage', () => {
  const codec = seqCursor;
  const key = (n: number) => String(n);

  it('forward: the extra row only says there is more; the cursor is the last item', () => {
    const page = toPage([1, 2, 3], { limit: 2, direction: 'after', cursor: null }, key, codec);
    expect(page).toEqual({ data: [1, 2], has_more: true, next_cursor: codec.encode('2') });
  });

  it('forward: the last page has no cursor', () => {
    expect(toPage([1, 2], { limit: 2, direction: 'after', cursor: null }, key, codec)).toEqual({
      data: [1, 2],
      has_more: false,
      next_cursor: null,
    });
  });

  it('backward: rows arrive in reverse, data is in list order, the cursor is the item before the page', () => {
    const page = toPage([6, 5, 4], { limit: 2, direction: 'before', cursor: '6' }, key, codec);
    expect(page).toEqual({ data: [5, 6], has_more: true, next_cursor: codec.encode('4') });
  });
});
