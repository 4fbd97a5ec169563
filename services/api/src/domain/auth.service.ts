import type { UsersRepository } from '../db/users.repository.ts';
import type { Caller } from './caller.ts';
import { hashToken } from './tokens.ts';

interface CacheEntry {
  caller: Caller | undefined;
  expiresAt: number;
}

/**
 * Resolves bearer tokens to users. Lookups are cached briefly per process (by digest, never by the
 * token) so the send/edit hot path spends its one database round trip on the change itself.
 */
export class AuthService {
  readonly #cache = new Map<string, CacheEntry>();

  private readonly users: UsersRepository;
  private readonly options: { ttlMs: number; maxEntries: number };

  constructor(
    users: UsersRepository,
    options: { ttlMs: number; maxEntries: number } = { ttlMs: 5_000, maxEntries: 10_000 },
  ) {
    this.users = users;
    this.options = options;
  }

  async authenticate(token: string): Promise<Caller | undefined> {
    const hash = hashToken(token);
    const key = hash.toString('base64');
    const now = Date.now();
    const hit = this.#cache.get(key);
    if (hit && hit.expiresAt > now) return hit.caller;

    const caller = await this.users.findByTokenHash(hash);
    if (this.#cache.size >= this.options.maxEntries) {
      // Map iteration is insertion order: dropping the first key evicts the oldest entry.
      this.#cache.delete(this.#cache.keys().next().value!);
    }
    this.#cache.set(key, { caller, expiresAt: now + this.options.ttlMs });
    return caller;
  }
}
