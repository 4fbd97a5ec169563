import { describe, expect, it } from 'vitest';
import { RetryableTurnError, turnBackoff } from './backoff.ts';

const low = () => 0;
const high = () => 0.999_999;

describe('turnBackoff', () => {
  it.each([
    ['first retry, least jitter', 1, undefined, low, 1_000, 500],
    ['first retry, most jitter', 1, undefined, high, 1_000, 1_000],
    ['doubles per attempt', 3, undefined, high, 1_000, 4_000],
    ['is capped at a minute', 20, undefined, high, 1_000, 60_000],
    ['starts from WORKER_RETRY_BASE_MS', 2, undefined, high, 20, 40],
    ['waits for retry-after when it is longer', 1, new RetryableTurnError('429', 7_000), high, 1_000, 7_000],
    ['keeps a quarter step when retry-after is shorter', 3, new RetryableTurnError('429', 0), high, 1_000, 1_000],
    ['caps retry-after at five minutes', 1, new RetryableTurnError('429', 3_600_000), low, 1_000, 300_000],
  ])('%s', (_name, attempts, err, random, base, expected) => {
    expect(turnBackoff(attempts, err, random, base)).toBe(expected);
  });
});
