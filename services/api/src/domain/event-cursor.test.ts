import { compareEventIds } from '@chatq/chat-core';
import { describe, expect, it } from 'vitest';
import { chooseStart } from './event-cursor.ts';

describe('compareEventIds', () => {
  it.each([
    ['1-0', '2-0', -1],
    ['2-0', '1-0', 1],
    ['5-1', '5-10', -1],
    ['10-0', '9-99', 1],
    ['1700000000000-3', '1700000000000-3', 0],
    ['0', '0-0', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareEventIds(a, b))).toBe(sign);
  });
});

describe('chooseStart', () => {
  it.each([
    { after: undefined, trimmed: null, start: { kind: 'fresh' } },
    { after: undefined, trimmed: '5-0', start: { kind: 'fresh' } },
    { after: '7-0', trimmed: null, start: { kind: 'resume', after: '7-0' } },
    { after: '7-0', trimmed: '7-0', start: { kind: 'resume', after: '7-0' } },
    { after: '7-0', trimmed: '6-9', start: { kind: 'resume', after: '7-0' } },
    { after: '7-0', trimmed: '7-1', start: { kind: 'fresh' } },
    { after: '0', trimmed: '7-1', start: { kind: 'resume', after: '0' } },
  ])('after $after, oldest kept $trimmed: starts $start.kind', ({ after, trimmed, start }) => {
    expect(chooseStart(after, trimmed)).toEqual(start);
  });
});
