import { createHash, randomBytes } from 'node:crypto';

/** A new API token: `cq_` and 32 random bytes in base64url. */
export function mintToken(): string {
  return `cq_${randomBytes(32).toString('base64url')}`;
}

/** Tokens are stored and looked up only by this digest. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * What may be shown of a minted token so people can tell theirs apart: `cq_` and 7 of its 43 random
 * characters, which leaves 214 secret bits.
 */
export function tokenPrefix(token: string): string {
  return token.slice(0, 10);
}
