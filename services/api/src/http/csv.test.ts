import { describe, expect, it } from 'vitest';
import { prefersCsv, toCsv } from './csv.ts';

describe('prefersCsv', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['*/*', false],
    ['application/json', false],
    ['text/csv', true],
    ['Text/CSV; charset=utf-8', true],
    ['text/csv, application/json', false],
    ['application/json;q=0.5, text/csv', true],
    ['text/csv;q=0.2, application/json;q=0.9', false],
    ['text/csv;q=0', false],
    ['text/csv;q=abc', false],
    ['text/*', false],
  ])('Accept %j prefers CSV: %s', (accept, expected) => {
    expect(prefersCsv(accept)).toBe(expected);
  });
});

describe('toCsv', () => {
  it('writes the header row, then each row in column order, CRLF after every line', () => {
    const csv = toCsv(['key', 'n'] as const, [
      { n: 1, key: 'a' },
      { n: 2, key: 'b' },
    ]);
    expect(csv).toBe('key,n\r\na,1\r\nb,2\r\n');
  });

  it('quotes fields with commas, quotes or line breaks, doubling quotes, and leaves null empty', () => {
    const csv = toCsv(['a', 'b', 'c', 'd'] as const, [{ a: 'x,y', b: 'say "hi"', c: 'two\nlines', d: null }]);
    expect(csv).toBe('a,b,c,d\r\n"x,y","say ""hi""","two\nlines",\r\n');
  });

  it('writes only the header row when there are no rows', () => {
    expect(toCsv(['key'] as const, [])).toBe('key\r\n');
  });
});
