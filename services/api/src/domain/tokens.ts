import { createHash, randomBytes } from 'node:crypto';

/** A new API token: `cq_` and 32 random bytes in base64url. */
export function mintToken(): string {
  return `cq_${randomBytes(32).toString('base64url')}`;
}

/** Tokens are stored and looked up only by this digest. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
