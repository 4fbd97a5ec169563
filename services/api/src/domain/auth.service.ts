import type { UsersRepository } from '../db/users.repository.ts';
import type { Caller } from './caller.ts';
import type { Logger } from './logger.ts';
import { hashToken } from './tokens.ts';

interface CacheEntry {
  caller: Caller | undefined;
  expiresAt: number;
}

/** How long lookups are trusted, and how many are kept. */
export interface AuthCacheOptions {
  /** While invalidations arrive (see `listening`): a revocation reaches this cache at once anyway. */
  ttlMs: number;
  /**
   * While they may not (the Redis subscriber is down), and for tokens that did not authenticate (a
   * re-enabled user's are found again this fast): the longest a revoked token keeps working.
   */
  shortTtlMs: number;
  maxEntries: number;
  /** A token's `last_used_at` is written at most this often. */
  touchIntervalMs: number;
}

const DEFAULTS: AuthCacheOptions = { ttlMs: 30_000, shortTtlMs: 1_000, maxEntries: 10_000, touchIntervalMs: 60_000 };

/**
 * Resolves bearer tokens to users. Lookups are cached per process (by digest, never by the token) so
 * the send/edit hot path spends its one database round trip on the change itself. The cache is kept
 * honest by `forget` and `forgetAll`, which the invalidations every API replica hears call
 * (`events/auth-invalidations.ts`); when `listening` says they may be missed, entries last only
 * `shortTtlMs`.
 */
export class AuthService {
  readonly #cache = new Map<string, CacheEntry>();
  /** When this process last recorded each token's use (epoch ms). */
  readonly #touched = new Map<string, number>();
  /**
   * Bumped by every invalidation: a lookup that was in flight when one arrived may have read the
   * row from before the change, so its answer is not cached.
   */
  #epoch = 0;

  private readonly users: UsersRepository;
  private readonly listening: () => boolean;
  private readonly logger: Logger;
  private readonly options: AuthCacheOptions;

  constructor(
    users: UsersRepository,
    deps: { listening: () => boolean; logger: Logger },
    options: Partial<AuthCacheOptions> = {},
  ) {
    this.users = users;
    this.listening = deps.listening;
    this.logger = deps.logger;
    this.options = { ...DEFAULTS, ...options };
  }

  async authenticate(token: string): Promise<Caller | undefined> {
    const hash = hashToken(token);
    const key = hash.toString('base64');
    const now = Date.now();
    const hit = this.#cache.get(key);
    if (hit && hit.expiresAt > now && !expired(hit.caller, now)) return this.#touch(hit.caller);

    const epoch = this.#epoch;
    const caller = await this.users.findByTokenHash(hash);
    if (epoch === this.#epoch) this.#remember(key, caller, now);
    return this.#touch(caller);
  }

  /** Drops what is cached for the user's tokens: they changed (revoked, disabled, new limits). */
  forget(userId: string): void {
    this.#epoch++;
    for (const [key, entry] of this.#cache) if (entry.caller?.user.id === userId) this.#cache.delete(key);
  }

  /** Drops everything: invalidations may have been missed. */
  forgetAll(): void {
    this.#epoch++;
    this.#cache.clear();
  }

  #remember(key: string, caller: Caller | undefined, now: number): void {
    const ttl = caller && this.listening() ? this.options.ttlMs : this.options.shortTtlMs;
    if (this.#cache.size >= this.options.maxEntries) {
      // Map iteration is insertion order: dropping the first key evicts the oldest entry.
      this.#cache.delete(this.#cache.keys().next().value!);
    }
    this.#cache.set(key, { caller, expiresAt: now + ttl });
  }

  /** Records the token's use in the background, at most once per `touchIntervalMs` per process. */
  #touch(caller: Caller | undefined): Caller | undefined {
    if (!caller) return caller;
    const now = Date.now();
    const last = this.#touched.get(caller.tokenId);
    if (last !== undefined && now - last < this.options.touchIntervalMs) return caller;
    this.#touched.delete(caller.tokenId);
    if (this.#touched.size >= this.options.maxEntries) this.#touched.delete(this.#touched.keys().next().value!);
    this.#touched.set(caller.tokenId, now);
    // Not awaited: the request does not wait on bookkeeping, nor fail with it.
    this.users
      .touchToken(caller.tokenId)
      .catch((err: unknown) => this.logger.warn({ err }, 'could not record a token’s last use'));
    return caller;
  }
}

/** A cached caller whose token has expired since it was looked up. */
function expired(caller: Caller | undefined, now: number): boolean {
  return caller?.tokenExpiresAt != null && caller.tokenExpiresAt <= now;
}
