import type { RedisClient as Redis } from '@chatq/platform';

/**
 * Increments each counter and starts its window on the first hit (or if it lost its expiry);
 * returns count and remaining window per key. One script call: one round trip, atomic per request.
 */
const HIT = `
local out = {}
for i = 1, #KEYS do
  local n = redis.call('INCR', KEYS[i])
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl < 0 then
    ttl = tonumber(ARGV[i])
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
  out[2 * i - 1] = n
  out[2 * i] = ttl
end
return out`;

type WithHit = Redis & { chatqRateHit: (n: number, ...keysThenWindows: (string | number)[]) => Promise<number[]> };

/** Fixed-window counters in Redis, shared by every API replica. */
export class RateLimitCounters {
  private readonly redis: WithHit;
  private readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    redis.defineCommand('chatqRateHit', { lua: HIT });
    this.redis = redis as WithHit;
    this.prefix = prefix;
  }

  /**
   * Counts one hit on each counter. Keys that must share a Redis Cluster slot put the same
   * `{hash tag}` in `key`.
   */
  async hit(counters: readonly { key: string; windowMs: number }[]): Promise<{ used: number; resetMs: number }[]> {
    const keys = counters.map((c) => `${this.prefix}:rl:${c.key}`);
    const raw = await this.redis.chatqRateHit(keys.length, ...keys, ...counters.map((c) => c.windowMs));
    return counters.map((_, i) => ({ used: raw[2 * i]!, resetMs: raw[2 * i + 1]! }));
  }
}
