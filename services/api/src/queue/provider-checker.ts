import { PROVIDER_CHECK_QUEUE, type ProviderCheckJob, ProviderTestResult } from '@chatq/contracts';
import { createRedis, type Logger, type RedisClient as Redis } from '@chatq/platform';
import { Queue, QueueEvents } from 'bullmq';
import { GatewayTimeoutError, ServiceUnavailableError } from '../domain/errors.ts';

const unavailable = () => new ServiceUnavailableError('Queue unavailable; the provider check was not sent.');

/** Keeps finished checks only briefly: nobody reads them after the request that asked. */
const KEEP = { age: 300, count: 1_000 };

/**
 * Sends provider checks to the workers, the only processes that may open provider keys, and waits
 * for the answer. The QueueEvents subscription (one blocking Redis connection) opens on first use.
 */
export class ProviderChecker {
  private readonly producer: Redis;
  private queue: Queue<ProviderCheckJob, ProviderTestResult> | undefined;
  private readonly redisUrl: string;
  private readonly redisCluster: boolean;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  private subscription: { events: QueueEvents; connection: Redis; ready: Promise<unknown> } | undefined;

  constructor(
    producer: Redis,
    options: { redisUrl: string; redisCluster: boolean; prefix: string; timeoutMs: number; logger: Logger },
  ) {
    this.producer = producer;
    this.redisUrl = options.redisUrl;
    this.redisCluster = options.redisCluster;
    this.prefix = options.prefix;
    this.timeoutMs = options.timeoutMs;
    this.logger = options.logger;
  }

  /**
   * The queue, made on first use: BullMQ queries Redis when a queue is made, and a producer
   * connection fails that query while Redis is away, for good. A failed queue is dropped so the
   * next check makes a fresh one.
   */
  private async add(job: ProviderCheckJob) {
    const queue = (this.queue ??= new Queue(PROVIDER_CHECK_QUEUE, {
      connection: this.producer,
      prefix: this.prefix,
      skipWaitingForReady: true,
    }));
    try {
      return await queue.add('check', job, { attempts: 1, removeOnComplete: KEEP, removeOnFail: KEEP });
    } catch (err) {
      this.logger.warn({ err }, 'could not queue a provider check');
      if (this.queue === queue) this.queue = undefined;
      await queue.close().catch(() => undefined);
      throw unavailable();
    }
  }

  /** The QueueEvents subscription, or a 503 when Redis does not let it start in time. */
  private async subscribed(): Promise<QueueEvents> {
    if (!this.subscription) {
      const connection = createRedis(this.redisUrl, 'consumer', {}, this.redisCluster);
      const events = new QueueEvents(PROVIDER_CHECK_QUEUE, { connection, prefix: this.prefix });
      events.on('error', (err) => this.logger.debug({ err }, 'provider check events error'));
      this.subscription = { events, connection, ready: events.waitUntilReady() };
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.subscription.ready,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(unavailable()), this.timeoutMs);
        }),
      ]);
      return this.subscription.events;
    } finally {
      clearTimeout(timer);
    }
  }

  async check(providerId: string, model: string | undefined): Promise<ProviderTestResult> {
    const events = await this.subscribed();
    // The worker must answer a little before the request stops waiting, or its answer is lost.
    const deadline = Date.now() + this.timeoutMs - Math.min(1_000, Math.round(this.timeoutMs / 5));
    const job = await this.add({ provider_id: providerId, model, deadline });
    try {
      return ProviderTestResult.parse(await job.waitUntilFinished(events, this.timeoutMs));
    } catch (err) {
      if (!/timed out/.test((err as Error).message)) throw err;
      await job.remove().catch(() => undefined);
      throw new GatewayTimeoutError('No worker answered the provider check in time; is a worker running?');
    }
  }

  async close(): Promise<void> {
    await this.queue?.close();
    if (this.subscription) {
      const { events, connection } = this.subscription;
      await events.close();
      connection.disconnect();
    }
  }
}
