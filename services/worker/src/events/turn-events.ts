import type { ChatEvent } from '@chatq/contracts';
import type { AppendRefusal, ChatEventLog } from '@chatq/chat-core';
import type { Logger } from '@chatq/platform';

/**
 * The event log as one running turn writes it. Appends go out as they come, without waiting:
 * ioredis keeps one connection's commands in order, so deltas land in the order they were produced,
 * and `end` waits for all of them before the final events. At most one delta append is in flight:
 * text produced meanwhile goes out as one delta when it returns, so a fast model costs Redis a few
 * appends per turn rather than one per token, and a slow one still streams token by token. A `fenced` refusal means the turn was
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
  /** Text produced while a delta append was in flight, sent as the next delta. */
  private pendingText = '';
  private deltas: Promise<void> | undefined;
  private ending = false;
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

  /**
   * Records events between two steps of a turn (a stored step, a tool call or result): after the
   * deltas so far, and restarting the live reply's text, which the next step streams anew.
   */
  async step(events: ChatEvent[]): Promise<void> {
    await this.flush();
    void this.send('start', events);
    await this.flush();
  }

  delta(text: string): void {
    if (this.deltas) this.pendingText += text;
    else this.deltas = this.sendDeltas(text);
  }

  private deltaEvent(text: string): ChatEvent {
    return { type: 'message.delta', data: { turn_id: this.turn.id, text } };
  }

  private async sendDeltas(text: string): Promise<void> {
    for (let next = text; next;) {
      await this.send('delta', [this.deltaEvent(next)], next);
      if (this.ending) break;
      next = this.pendingText;
      this.pendingText = '';
    }
    this.deltas = undefined;
  }

  /**
   * Waits for every append so far, then records the turn's last events, led by the text still
   * waiting to go out as a delta: one append fewer per turn for a model faster than Redis.
   */
  async end(events: ChatEvent[]): Promise<void> {
    this.ending = true;
    await this.flush();
    const tail = this.pendingText;
    this.pendingText = '';
    void this.send('end', tail ? [this.deltaEvent(tail), ...events] : events);
    await this.flush();
  }

  async flush(): Promise<void> {
    while (this.inflight.size > 0 || this.deltas) await Promise.all([...this.inflight, this.deltas]);
  }

  private send(op: 'start' | 'delta' | 'end', events: ChatEvent[], delta = ''): Promise<void> {
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
    return append;
  }

  private onResult(result: string[] | AppendRefusal): void {
    if (result === 'fenced') this.onFenced();
  }
}
