import type { ChatEvent } from '@chatq/contracts';
import type { AppendRefusal, ChatEventLog, Logger } from '@chatq/platform';

/**
 * The event log as one running turn writes it. Appends go out as they come, without waiting:
 * ioredis keeps one connection's commands in order, so deltas land in the order they were produced,
 * and `end` waits for all of them before the final events. A `fenced` refusal means the turn was
 * interrupted or superseded and its stop message may have been missed: `onFenced` stops it anyway.
 * Event failures never fail the turn; Postgres stays the truth.
 */
export class TurnEventWriter {
  private readonly log: ChatEventLog;
  private readonly chatId: string;
  private readonly ownerId: string;
  private readonly turn: { id: string; generation: number };
  private readonly onFenced: () => void;
  private readonly logger: Logger;
  private readonly inflight = new Set<Promise<void>>();
  private warned = false;

  constructor(
    log: ChatEventLog,
    target: { chatId: string; ownerId: string; turn: { id: string; generation: number } },
    onFenced: () => void,
    logger: Logger,
  ) {
    this.log = log;
    this.chatId = target.chatId;
    this.ownerId = target.ownerId;
    this.turn = target.turn;
    this.onFenced = onFenced;
    this.logger = logger;
  }

  start(events: ChatEvent[]): void {
    this.send('start', events);
  }

  delta(text: string): void {
    this.send('delta', [{ type: 'message.delta', data: { turn_id: this.turn.id, text } }], text);
  }

  /** Waits for every append so far, then records the turn's last events. */
  async end(events: ChatEvent[]): Promise<void> {
    await this.flush();
    this.send('end', events);
    await this.flush();
  }

  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all(this.inflight);
  }

  private send(op: 'start' | 'delta' | 'end', events: ChatEvent[], delta = ''): void {
    const append = this.log
      .turn(op, this.chatId, this.ownerId, this.turn, events, delta)
      .then((result) => this.onResult(result))
      .catch((err: unknown) => {
        if (this.warned) return;
        this.warned = true;
        this.logger.warn({ err }, 'event append failed; clients miss part of this turn');
      })
      .finally(() => this.inflight.delete(append));
    this.inflight.add(append);
  }

  private onResult(result: string[] | AppendRefusal): void {
    if (result === 'fenced') this.onFenced();
  }
}
