/** An error that carries the provider's requested wait, for the backoff strategy. */
export class RetryableTurnError extends Error {
  override name = 'RetryableTurnError';
  readonly retryAfterMs: number | undefined;

  constructor(message: string, retryAfterMs: number | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/** First retry step; WORKER_RETRY_BASE_MS overrides it. */
export const DEFAULT_RETRY_BASE_MS = 1_000;
const CAP_MS = 60_000;
const RETRY_AFTER_CAP_MS = 5 * 60_000;

/**
 * Delay before retry `attemptsMade` (1-based): exponential with jitter (50-100% of the step) so a
 * burst of 429s does not come back in lockstep, and never sooner than the provider's Retry-After.
 */
export function turnBackoff(
  attemptsMade: number,
  err?: Error,
  random: () => number = Math.random,
  baseMs = DEFAULT_RETRY_BASE_MS,
): number {
  const step = Math.min(CAP_MS, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = Math.round(step * (0.5 + random() / 2));
  const retryAfter = err instanceof RetryableTurnError ? err.retryAfterMs : undefined;
  return retryAfter === undefined ? jittered : Math.max(Math.min(retryAfter, RETRY_AFTER_CAP_MS), jittered / 4);
}
