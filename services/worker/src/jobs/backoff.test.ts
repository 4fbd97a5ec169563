import { describe, expect, it } from 'vitest';
import { RetryableTurnError, turnBackoff } from './backoff.ts';

describe('turnBackoff', () => {
  it.each([
    // attemptsMade, random, expected ms
    [1, 0, 500],
    [1, 1, 1_000],
    [2, 0.5, 1_500],
    [3, 1, 4_000],
    [10, 1, 60_000],
    [30, 0, 30_000],
  ])('attempt %i with random %f waits %i ms', (attempt, random, expected) => {
    expect(turnBackoff(attempt, new Error('x'), () => random)).toBe(expected);
  });

  it('waits at least as long as the provider’s Retry-After', () => {
    expect(turnBackoff(1, new RetryableTurnError('429', 7_000), () => 0)).toBe(7_000);
  });

  it('caps an absurd Retry-After at five minutes', () => {
    expect(turnBackoff(1, new RetryableTurnError('429', 86_400_000), () => 1)).toBe(300_000);
  });

  it('keeps some backoff when Retry-After is zero', () => {
    expect(turnBackoff(3, new RetryableTurnError('429', 0), () => 1)).toBe(1_000);
  });
});
