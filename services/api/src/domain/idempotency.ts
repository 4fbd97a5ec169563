import { IDEMPOTENCY_HEADER, IdempotencyKey } from '@chatq/contracts';
import { createHash } from 'node:crypto';
import { BadRequestError } from './errors.ts';

// The route table documents which methods take a key and which answers are replayed: one rule for both.
export { IDEMPOTENT_METHODS, isRecordable } from '@chatq/contracts';

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
