import { IDEMPOTENCY_HEADER, IdempotencyKey } from '@chatq/contracts';
import { createHash } from 'node:crypto';
import { BadRequestError } from './errors.ts';

/** Methods whose requests may carry an Idempotency-Key. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['POST', 'PATCH']);

/** The key a request carries, undefined when it has none; a malformed key is a 400. */
export function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const parsed = IdempotencyKey.safeParse(header);
  if (!parsed.success) {
    throw new BadRequestError('Invalid request.', undefined, [
      { field: `headers.${IDEMPOTENCY_HEADER}`, detail: 'must be one header of 1 to 255 characters' },
    ]);
  }
  return parsed.data;
}

/**
 * What makes two requests "the same" for a key: method, path with query, and the validated body
 * (zod rebuilds it in schema order, so key order and defaults do not matter).
 */
export function requestFingerprint(method: string, url: string, body: unknown): Buffer {
  return createHash('sha256')
    .update(JSON.stringify([method, url, body ?? null]))
    .digest();
}

/**
 * Which outcomes a key remembers (Stripe's rule): every response the change itself produced,
 * success or refusal. Not remembered, so a retry runs again: conflicts with concurrent work (409),
 * rate limiting (429) and server failures (5xx), none of which changed anything.
 */
export function isRecordable(status: number): boolean {
  return status < 500 && status !== 409 && status !== 429;
}
