import { PROVIDER_CHECK_QUEUE, type ProviderCheckJob, ProviderTestResult } from '@chatq/contracts';
import { createRedis, type Redis } from '@chatq/platform';
import { Queue, QueueEvents } from 'bullmq';
import { GatewayTimeoutError, ServiceUnavailableError } from '../domain/errors.ts';

/** Keeps finished checks only briefly: nobody reads them after the request that asked. */
const KEEP = { age: 300, count: 1_000 };

/**
 * Sends provider checks to the workers, the only processes that may open provider keys, and waits
 * for the answer. The QueueEvents subscription (one blocking Redis connection) opens on first use.
 */
export class ProviderChecker {
  private readonly queue: Queue<ProviderCheckJob, ProviderTestResult>;
  private readonly redisUrl: string;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private events: Promise<{ events: QueueEvents; connection: Redis }> | undefined;

  constructor(producer: Redis, redisUrl: string, prefix: string, timeoutMs: number) {
    this.queue = new Queue(PROVIDER_CHECK_QUEUE, { connection: producer, prefix, skipWaitingForReady: true });
    this.redisUrl = redisUrl;
    this.prefix = prefix;
    this.timeoutMs = timeoutMs;
  }

  private subscribe() {
    this.events ??= (async () => {
      const connection = createRedis(this.redisUrl, 'consumer');
      const events = new QueueEvents(PROVIDER_CHECK_QUEUE, { connection, prefix: this.prefix });
      await events.waitUntilReady();
      return { events, connection };
    })();
    return this.events;
  }

  async check(providerId: string, model: string | undefined): Promise<ProviderTestResult> {
    const { events } = await this.subscribe();
    // The worker must answer a little before the request stops waiting, or its answer is lost.
    const deadline = Date.now() + this.timeoutMs - Math.min(1_000, this.timeoutMs / 5);
    const job = await this.queue
      .add(
        'check',
        { provider_id: providerId, model, deadline },
        { attempts: 1, removeOnComplete: KEEP, removeOnFail: KEEP },
      )
      .catch(() => Promise.reject(new ServiceUnavailableError('Queue unavailable; the provider check was not sent.')));
    try {
      return ProviderTestResult.parse(await job.waitUntilFinished(events, this.timeoutMs));
    } catch (err) {
      if (!/timed out/.test((err as Error).message)) throw err;
      await job.remove().catch(() => undefined);
      throw new GatewayTimeoutError('No worker answered the provider check in time; is a worker running?');
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
    const subscribed = await this.events?.catch(() => undefined);
    if (subscribed) {
      await subscribed.events.close();
      await subscribed.connection.quit().catch(() => subscribed.connection.disconnect());
    }
  }
}
