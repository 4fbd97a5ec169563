import { describe, expect, it } from 'vitest';
import { turnAttempt } from './run-turn.ts';

describe('turnAttempt: which attempt at its turn a job is making', () => {
  it.each([
    { name: 'a first try, before its claim', attemptsMade: 0, claims: 0, expected: 1 },
    { name: 'a first try, claimed', attemptsMade: 0, claims: 1, expected: 1 },
    { name: 'a provider retry: claims and tries in step', attemptsMade: 2, claims: 3, expected: 3 },
    { name: 'a try after two workers died mid-turn', attemptsMade: 0, claims: 3, expected: 3 },
    { name: 'a try after two tries failed before they could claim', attemptsMade: 2, claims: 1, expected: 3 },
  ])('$name: attempt $expected', ({ attemptsMade, claims, expected }) => {
    expect(turnAttempt({ attemptsMade }, claims)).toBe(expected);
  });
});
