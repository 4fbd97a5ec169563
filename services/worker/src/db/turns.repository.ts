import type { ProviderKind, TurnJob, Usage } from '@chatq/contracts';
import type { ChatRow, MessageRow, TurnRow } from '@chatq/chat-core';
import type { Sql, Tx } from '@chatq/platform';

/** The model config row as the claim returns it (jsonb: numerics arrive as numbers). */
export interface ClaimedModel {
  id: string;
  model: string;
  context_limit: number | null;
  max_output_tokens: number | null;
  input_price_per_mtok: number | null;
  output_price_per_mtok: number | null;
  options: Record<string, unknown>;
}

export interface ClaimedProvider {
  id: string;
  kind: ProviderKind;
  base_url: string | null;
  options: Record<string, unknown>;
  /** base64 of the sealed key, or null. */
  api_key: string | null;
}

/** How a chat stands after one of its turns ended: resting, or running the next queued message. */
export interface AfterTurn {
  chat: ChatRow;
  next?: { message: MessageRow; turn: TurnRow };
}

/** What a claim found. Only `claimed` means this worker now owns the turn. */
export type Claim =
  | {
      outcome: 'claimed';
      owner_id: string;
      chat: ChatRow;
      turn: { id: string; chat_id: string; generation: number; attempts: number; started_at: string };
      model: ClaimedModel;
      provider: ClaimedProvider;
      /** The newest live messages that fit the model's context_limit, oldest first. */
      history: { role: 'user' | 'assistant'; content: string }[];
    }
  | { outcome: 'superseded' | 'missing' }
  | { outcome: 'finished'; status: string }
  | ({ outcome: 'failed'; error: string; owner_id: string } & AfterTurn);

/** How completing or failing a turn went; only this claim's own, current turn changes anything. */
export type Finish =
  | ({ outcome: 'completed'; message: MessageRow } & AfterTurn)
  | ({ outcome: 'failed' } & AfterTurn)
  | { outcome: 'superseded' | 'stale' };

/**
 * The worker's side of a turn. Claim, complete and fail are the chatq_* functions (one round trip
 * each, locking the chat row first); see infra/sql/functions/ for the rules they enforce.
 */
export class TurnsRepository {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  async claim(turnId: string, claimId: string, maxAttempts: number, tx: Tx = this.sql): Promise<Claim> {
    const [row] = await tx<{ r: Claim }[]>`select chatq_claim_turn(${turnId}, ${claimId}, ${maxAttempts}) as r`;
    return row!.r;
  }

  async complete(
    turnId: string,
    claimId: string,
    content: string,
    usage: Usage,
    costMicros: number | null,
    tx: Tx = this.sql,
  ): Promise<Finish> {
    const [row] = await tx<{ r: Finish }[]>`
      select chatq_complete_turn(${turnId}, ${claimId}, ${content}, ${tx.json(usage)}, ${costMicros}) as r`;
    return row!.r;
  }

  /** `claimId` null fails the turn whoever claimed it (the job itself has died). */
  async fail(turnId: string, claimId: string | null, error: string, tx: Tx = this.sql): Promise<Finish> {
    const [row] = await tx<{ r: Finish }[]>`select chatq_fail_turn(${turnId}, ${claimId}, ${error}) as r`;
    return row!.r;
  }

  /**
   * Takes a batch of live turns the relay should hand to the queue again, stamps them, and returns
   * their jobs: queued turns not enqueued (or re-enqueued) for `afterMs`, and running turns not
   * re-enqueued for as long, in case Redis lost their job while their worker died. Re-adding a job
   * that still exists is a no-op (deterministic ids), and a re-added running turn is re-claimed
   * behind the claim fence. SKIP LOCKED lets every worker's relay run without stepping on the others.
   */
  async takeDueOutbox(afterMs: number, limit: number, tx: Tx = this.sql): Promise<TurnJob[]> {
    const cutoff = tx`now() - make_interval(secs => ${afterMs / 1000})`;
    const rows = await tx<{ turn_id: string; chat_id: string; generation: string }[]>`
      with queued as (
        select id from turns
        where status = 'queued' and coalesce(relayed_at, created_at) < ${cutoff}
        order by created_at
        limit ${limit}
        for update skip locked
      ), running as (
        select id from turns
        where status = 'running' and coalesce(relayed_at, started_at) < ${cutoff}
        order by started_at
        limit ${limit}
        for update skip locked
      )
      update turns t set relayed_at = now()
      from (select id from queued union all select id from running) due
      where t.id = due.id
      returning t.id as turn_id, t.chat_id, t.generation`;
    return rows.map((r) => ({ turn_id: r.turn_id, chat_id: r.chat_id, generation: Number(r.generation) }));
  }
}
