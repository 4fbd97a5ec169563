import type { TurnStatus } from '@chatq/contracts';
import type { ChatEventLog } from '@chatq/chat-core';
import type { EventHub } from './hub.ts';
import { openEventStream, type StreamedEvent } from './stream.ts';

/** The statuses a followed turn stops at: it ended, or it waits on the caller or an approval. */
const STOPS: ReadonlySet<TurnStatus> = new Set([
  'completed',
  'failed',
  'cancelled',
  'superseded',
  'requires_action',
  'awaiting_approval',
]);

/** Whether a followed turn has stopped (see `STOPS`). */
export const hasStopped = (status: TurnStatus | undefined) => status === undefined || STOPS.has(status);

/**
 * How often a follower also reads the turn from Postgres: events can be lost with Redis, the turn
 * row cannot, so a follower never waits on a turn that has in fact stopped for longer than this.
 */
const RECHECK_MS = 2_000;

/** What following a turn calls with each piece of its reply's text, in order. */
export type DeltaSink = (text: string) => void | Promise<void>;

/**
 * Follows one turn through its chat's event log, for the OpenAI facade: the text deltas it streams,
 * until it stops. The caller reads the position before the change that started (or resumed) the
 * turn, so none of the turn's events falls before it. Postgres stays the truth: the turn's status is
 * also read every RECHECK_MS (`statusOf`, undefined once the turn is gone).
 */
export class TurnFollower {
  private readonly hub: Pick<EventHub, 'subscribe'>;
  private readonly log: Pick<ChatEventLog, 'position' | 'range' | 'chatKey'>;
  private readonly statusOf: (turnId: string) => Promise<TurnStatus | undefined>;

  constructor(deps: {
    hub: Pick<EventHub, 'subscribe'>;
    log: Pick<ChatEventLog, 'position' | 'range' | 'chatKey'>;
    statusOf: (turnId: string) => Promise<TurnStatus | undefined>;
  }) {
    this.hub = deps.hub;
    this.log = deps.log;
    this.statusOf = deps.statusOf;
  }

  /** Where the chat's log stands now: follow a turn started after this call from here. */
  async position(chatId: string): Promise<string> {
    return (await this.log.position(this.log.chatKey(chatId))).lastId ?? '0';
  }

  /**
   * Calls `onDelta` with the turn's text as it streams and resolves with the status it stopped at
   * (undefined: the turn, or its chat, is gone). Stops early, with the status the turn has then,
   * when `signal` aborts (the caller went away).
   */
  async follow(
    chatId: string,
    after: string,
    turnId: string,
    onDelta: DeltaSink,
    signal?: AbortSignal,
  ): Promise<TurnStatus | undefined> {
    const stream = await openEventStream(this.hub, this.log, this.log.chatKey(chatId), after);
    let stopped!: (status: TurnStatus | undefined) => void;
    const done = new Promise<TurnStatus | undefined>((resolve) => (stopped = resolve));
    const recheck = async () => {
      const status = await this.statusOf(turnId).catch(() => 'running' as const);
      if (hasStopped(status) || signal?.aborted) stopped(status);
    };
    const timer = setInterval(() => void recheck(), RECHECK_MS);
    const onAbort = () => void recheck();
    signal?.addEventListener('abort', onAbort, { once: true });

    const send = async (event: StreamedEvent): Promise<boolean> => {
      if (event.type !== 'message.delta' && event.type !== 'turn.status') return true;
      const data = JSON.parse(event.data.toString()) as { turn_id?: string; text?: string; status?: TurnStatus };
      if (data.turn_id !== turnId) return true;
      if (event.type === 'message.delta') await onDelta(data.text ?? '');
      else if (hasStopped(data.status)) {
        stopped(data.status);
        return false;
      }
      return true;
    };
    void stream.run({ send }).then(
      () => void recheck(),
      () => void recheck(),
    );
    try {
      return await done;
    } finally {
      clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
      stream.close();
    }
  }
}
