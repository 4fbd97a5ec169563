import { describe, expect, it } from 'vitest';
import { policyHeader, type RatePolicy, rateLimitHeader, rateVerdict } from './rate-limits.ts';

const requests: RatePolicy = { name: 'requests', quota: 100, windowSeconds: 60 };
const turns: RatePolicy = { name: 'turns', quota: 10, windowSeconds: 60 };

describe('rate limit headers', () => {
  it('lists every policy as an IETF structured field', () => {
    expect(policyHeader([requests, turns])).toBe('"requests";q=100;w=60, "turns";q=10;w=60');
  });

  it.each([
    ['counts what remains and rounds the reset up', { used: 1, resetMs: 59_001 }, '"requests";r=99;t=60'],
    ['never reports negative remaining', { used: 250, resetMs: 1_000 }, '"requests";r=0;t=1'],
    ['says at least one second', { used: 100, resetMs: 3 }, '"requests";r=0;t=1'],
  ])('%s', (_, count, header) => {
    expect(rateLimitHeader([{ policy: requests, ...count }])).toBe(header);
  });
});

describe('rateVerdict', () => {
  it.each([
    ['allows up to the quota', [{ policy: requests, used: 100, resetMs: 5_000 }], { allowed: true }],
    [
      'refuses past it, retrying when the window resets',
      [{ policy: requests, used: 101, resetMs: 5_000 }],
      { allowed: false, retryAfter: 5 },
    ],
    [
      'waits for the latest exhausted policy, ignoring ones with room',
      [
        { policy: requests, used: 101, resetMs: 2_000 },
        { policy: turns, used: 11, resetMs: 30_000 },
        { policy: { ...turns, name: 'anonymous' as const }, used: 1, resetMs: 59_000 },
      ],
      { allowed: false, retryAfter: 30 },
    ],
  ])('%s', (_, counts, verdict) => {
    expect(rateVerdict(counts)).toEqual(verdict);
  });
});
