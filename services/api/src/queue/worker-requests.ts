import { createRedis, type Logger, type RedisClient as Redis } from '@chatq/platform';
import { Queue, QueueEvents } from 'bullmq';
import type { z } from 'zod';
import { GatewayTimeoutError, ServiceUnavailableError } from '../domain/errors.ts';

/** Keeps finished requests only briefly: nobody reads them after the HTTP request that asked. */
const KEEP = { age: 300, count: 1_000 };

/** What the caller reads when the request could not be sent, or no worker answered in time. */
export interface WorkerRequestMessages {
  notQueued: string;
  timedOut: string;
}

/**
 * Asks the workers to do something only they may (open sealed secrets and call out with them: a
 * provider check, an MCP tool listing) and waits for the answer, over a BullMQ queue of its own.
 * Jobs carry ids, never secrets, and a `deadline` (epoch ms) after which the worker skips the job, as
 * nobody would read the answer. The QueueEvents subscription (one blocking Redis connection) opens on
 * first use.
 */
export class WorkerRequests<J extends { deadline: number }, R> {
  private readonly producer: Redis;
  private readonly queueName: string;
  private readonly result: z.ZodType<R>;
  private queue: Queue<J, R> | undefined;
  private readonly redisUrl: string;
  private readonly redisCluster: boolean;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly messages: WorkerRequestMessages;
  private readonly logger: Logger;
  private subscription: { events: QueueEvents; connection: Redis; ready: Promise<unknown> } | undefined;

  constructor(
    producer: Redis,
    options: {
      queue: string;
      /** Parses the worker's answer: a worker of another build may answer in another shape. */
      result: z.ZodType<R>;
      redisUrl: string;
      redisCluster: boolean;
      prefix: string;
      timeoutMs: number;
      messages: WorkerRequestMessages;
      logger: Logger;
    },
  ) {
    this.producer = producer;
    this.queueName = options.queue;
    this.result = options.result;
    this.redisUrl = options.redisUrl;
    this.redisCluster = options.redisCluster;
    this.prefix = options.prefix;
    this.timeoutMs = options.timeoutMs;
    this.messages = options.messages;
    this.logger = options.logger;
  }

  private unavailable(): ServiceUnavailableError {
    return new ServiceUnavailableError(this.messages.notQueued);
  }

  /**
   * The queue, made on first use: BullMQ queries Redis when a queue is made, and a producer
   * connection fails that query while Redis is away, for good. A failed queue is dropped so the
   * next request makes a fresh one.
   */
  private async add(job: J) {
    const queue = (this.queue ??= new Queue<J, R>(this.queueName, {
      connection: this.producer,
      prefix: this.prefix,
      skipWaitingForReady: true,
    }));
    try {
      // BullMQ's name-typed overloads do not see through a generic job type.
      return await (queue as unknown as Queue).add(this.queueName, job, {
        attempts: 1,
        removeOnComplete: KEEP,
        removeOnFail: KEEP,
      });
    } catch (err) {
      this.logger.warn({ err, queue: this.queueName }, 'could not queue a worker request');
      if (this.queue === queue) this.queue = undefined;
      await queue.close().catch(() => undefined);
      throw this.unavailable();
    }
  }

  /** The QueueEvents subscription, or a 503 when Redis does not let it start in time. */
  private async subscribed(): Promise<QueueEvents> {
    if (!this.subscription) {
      const connection = createRedis(this.redisUrl, 'consumer', {}, this.redisCluster);
      const events = new QueueEvents(this.queueName, { connection, prefix: this.prefix });
      events.on('error', (err) => this.logger.debug({ err, queue: this.queueName }, 'worker request events error'));
      this.subscription = { events, connection, ready: events.waitUntilReady() };
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.subscription.ready,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(this.unavailable()), this.timeoutMs);
        }),
      ]);
      return this.subscription.events;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `job` (completed with its deadline) and returns the worker's answer. */
  async request(job: Omit<J, 'deadline'>): Promise<R> {
    const events = await this.subscribed();
    // The worker must answer a little before the request stops waiting, or its answer is lost.
    const deadline = Date.now() + this.timeoutMs - Math.min(1_000, Math.round(this.timeoutMs / 5));
    const queued = await this.add({ ...job, deadline } as J);
    try {
      return this.result.parse(await queued.waitUntilFinished(events, this.timeoutMs));
    } catch (err) {
      if (!/timed out/.test((err as Error).message)) throw err;
      await queued.remove().catch(() => undefined);
      throw new GatewayTimeoutError(this.messages.timedOut);
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
