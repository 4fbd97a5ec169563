import { TurnAbort } from '@chatq/contracts';
import { type Logger, type RedisClient as Redis, redisErrorLog } from '@chatq/platform';

/** Why a turn was stopped from outside: the API interrupted it, or an edit (or newer turn) replaced it. */
export type StopReason = TurnAbort['reason'];

/** A running turn's stop switch. */
export interface TurnStop {
  signal: AbortSignal;
  /** Set once the turn was stopped. */
  reason: () => StopReason | undefined;
  stop: (reason: StopReason) => void;
  release: () => void;
}

/**
 * The turns this worker process runs, by id, each with an AbortController. The API publishes
 * `{turn_id, reason}` on the control channel; whichever worker runs that turn aborts its provider
 * call, every other worker ignores the message.
 */
export class TurnAborts {
  private readonly running = new Map<string, TurnStop>();
  private readonly subscriber: Redis;
  private readonly logger: Logger;

  constructor(subscriber: Redis, channel: string, logger: Logger) {
    this.subscriber = subscriber;
    this.logger = logger;
    subscriber.on('error', redisErrorLog(logger, 'debug', 'control channel connection error'));
    subscriber.on('message', (_channel: string, message: string) => this.onMessage(message));
    subscriber.subscribe(channel).catch((err: unknown) => logger.error({ err }, 'control channel subscribe failed'));
  }

  /** Registers `turnId` before it is claimed, so a stop that arrives during the claim is not lost. */
  register(turnId: string): TurnStop {
    const controller = new AbortController();
    let reason: StopReason | undefined;
    const entry: TurnStop = {
      signal: controller.signal,
      reason: () => reason,
      stop: (why) => {
        if (controller.signal.aborted) return;
        reason = why;
        controller.abort(new Error(`turn ${why}`));
      },
      release: () => {
        if (this.running.get(turnId) === entry) this.running.delete(turnId);
      },
    };
    this.running.set(turnId, entry);
    return entry;
  }

  async close(): Promise<void> {
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }

  private onMessage(message: string): void {
    let parsed: ReturnType<typeof TurnAbort.safeParse> | undefined;
    try {
      parsed = TurnAbort.safeParse(JSON.parse(message));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      this.logger.warn('ignoring malformed control message');
      return;
    }
    const entry = this.running.get(parsed.data.turn_id);
    if (!entry) return;
    this.logger.info({ turn_id: parsed.data.turn_id, reason: parsed.data.reason }, 'stopping turn');
    entry.stop(parsed.data.reason);
  }
}
