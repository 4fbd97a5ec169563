import type { Logger, RedisClient } from '@chatq/platform';
import { afterCommit } from '../db/transaction.ts';

/** What an auth cache must do when told that cached lookups are stale. */
export interface AuthCache {
  /** The user's tokens changed (one revoked, the user disabled or given new limits). */
  forget(userId: string): void;
  /** Invalidations may have been missed. */
  forgetAll(): void;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Tells every API replica's auth cache that a user's tokens changed, over one Redis pub/sub channel
 * of the deployment (`<QUEUE_PREFIX>:auth`, the message a user id). A replica whose subscriber is
 * down cannot hear them: `subscribed` is false until it has subscribed again, and the cache then
 * trusts lookups for a second only; on every (re)subscription it forgets everything, since what was
 * published meanwhile is lost.
 */
export class AuthInvalidations {
  readonly channel: string;
  #subscribed = false;

  private readonly publisher: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly cache: AuthCache;
  private readonly logger: Logger;

  /** `subscriber` must be a connection of its own (subscriber mode), created with `lazyConnect`. */
  constructor(deps: {
    publisher: RedisClient;
    subscriber: RedisClient;
    prefix: string;
    cache: AuthCache;
    logger: Logger;
  }) {
    this.channel = `${deps.prefix}:auth`;
    this.publisher = deps.publisher;
    this.subscriber = deps.subscriber;
    this.cache = deps.cache;
    this.logger = deps.logger;
    this.subscriber.on('error', (err) => this.logger.debug({ err }, 'auth invalidation connection error'));
    this.subscriber.on('close', () => {
      this.#subscribed = false;
    });
    // Subscribed by hand on every connect (not ioredis' autoResubscribe), to know when it took.
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.channel).then(
        () => {
          this.#subscribed = true;
          this.cache.forgetAll();
        },
        (err: unknown) => this.logger.warn({ err }, 'auth invalidation subscribe failed'),
      );
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      if (UUID.test(message)) this.cache.forget(message);
      else this.cache.forgetAll();
    });
  }

  /** Whether invalidations reach this process now. */
  get subscribed(): boolean {
    return this.#subscribed;
  }

  /** Connects the subscriber; Redis being away does not hold up the start (it keeps retrying). */
  start(): void {
    this.subscriber.connect().catch((err: unknown) => this.logger.warn({ err }, 'auth invalidations unavailable'));
  }

  /**
   * Once the transaction this runs in commits (now, without one): forgets the user's tokens here and
   * tells the other replicas. If Redis cannot take the message, subscribed replicas keep their
   * entries until they expire (AuthService's `ttlMs`): said in the log.
   */
  announce(userId: string): Promise<void> {
    return afterCommit(async () => {
      this.cache.forget(userId);
      try {
        await this.publisher.publish(this.channel, userId);
      } catch (err) {
        this.logger.warn(
          { err, user_id: userId },
          'auth invalidation not published; other replicas see it when their cached lookups expire',
        );
      }
    });
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
  }
}
