import {
  type FinishReason,
  MessagePart,
  PendingToolCall,
  ProviderKind,
  type TurnJob,
  TurnStatus,
  type Usage,
} from '@chatq/contracts';
import { ChatRow, MessageRow, TurnRow } from '@chatq/chat-core';
import { NO_SPEND_DEFAULT, type Sql, type SpendDefault } from '@chatq/platform';
import { z } from 'zod';

/*
 * The JSON the chatq_* turn functions return, as schemas built on chat-core's rows. Every result is
 * parsed here, so a function that changes its shape fails the job at this boundary instead of
 * leaking `undefined` into a turn. jsonb hands numerics back as numbers and timestamps as text.
 */

const Options = z.record(z.string(), z.unknown());

/** The model config row as the claim returns it. */
export const ClaimedModel = z.object({
  id: z.string(),
  model: z.string(),
  context_limit: z.number().nullable(),
  max_output_tokens: z.number().nullable(),
  input_price_per_mtok: z.number().nullable(),
  output_price_per_mtok: z.number().nullable(),
  options: Options,
  system_prompt: z.string().nullable(),
  max_steps: z.number().int(),
});
export type ClaimedModel = z.infer<typeof ClaimedModel>;

/**
 * The provider of the claimed model; `api_key` and `secret_headers` are base64 of what is sealed, or
 * null.
 */
export const ClaimedProvider = z.object({
  id: z.string(),
  kind: ProviderKind,
  base_url: z.string().nullable(),
  options: Options,
  api_key: z.string().nullable(),
  secret_headers: z.string().nullable(),
});
export type ClaimedProvider = z.infer<typeof ClaimedProvider>;

/** The chat as a turn's end left it; `owner_id` addresses the owner's status feed. */
const EndedChatRow = ChatRow.extend({ owner_id: z.string() });

/** How a chat stands after one of its turns ended: resting, or running the next queued message. */
export const AfterTurn = z.object({
  chat: EndedChatRow,
  next: z.object({ message: MessageRow, turn: TurnRow }).optional(),
});
export type AfterTurn = z.infer<typeof AfterTurn>;

const TurnFailed = AfterTurn.extend({ outcome: z.literal('failed') });

/** A message of the history a claim returns; `turn_id` tells the claimed turn's own steps apart. */
export const HistoryMessage = z.object({
  role: z.enum(['user', 'assistant', 'tool']),
  content: z.string(),
  parts: z.array(MessagePart).optional(),
  turn_id: z.string().optional(),
});
export type HistoryMessage = z.infer<typeof HistoryMessage>;

/** A tool (webhook or client) the chat offers; `signing_secret` is base64 of what is sealed. */
export const ClaimedTool = z.object({
  name: z.string(),
  description: z.string(),
  input_schema: z.record(z.string(), z.unknown()),
  kind: z.enum(['webhook', 'client']),
  url: z.string().nullable(),
  signing_secret: z.string().nullable(),
  requires_approval: z.boolean(),
  timeout_ms: z.number().int(),
});
export type ClaimedTool = z.infer<typeof ClaimedTool>;

/** An MCP server the chat offers; `secret_headers` is base64 of what is sealed. */
export const ClaimedMcpServer = z.object({
  name: z.string(),
  url: z.string(),
  secret_headers: z.string().nullable(),
  allowed_tools: z.array(z.string()).nullable(),
  requires_approval: z.boolean(),
});
export type ClaimedMcpServer = z.infer<typeof ClaimedMcpServer>;

/**
 * A turn's own call settings: the options chatq understands (see llm/options.ts), and a cap on the
 * reply's tokens below the model config's.
 */
export const TurnOptions = z.looseObject({ max_output_tokens: z.number().int().positive().optional() });

/** What a claim found. Only `claimed` means this worker now owns the turn. */
export const Claim = z.discriminatedUnion('outcome', [
  z.object({
    outcome: z.literal('claimed'),
    owner_id: z.string(),
    chat: ChatRow,
    /** `attempts` counts this claim and every earlier one, crashed and stalled workers' included. */
    turn: TurnRow.extend({
      generation: z.number(),
      attempts: z.number().int(),
      started_at: z.string(),
      /** When the API last queued the waiting turn again: its deadline counts from there. */
      resumed_at: z.string().nullable(),
      approved_tool_calls: z.array(z.string()),
      /** Call settings this turn asked for (the OpenAI facade's), over the model config's options. */
      options: TurnOptions.nullable().optional(),
    }),
    model: ClaimedModel,
    provider: ClaimedProvider,
    /** The newest live messages that fit the model's context_limit, oldest first (trimmed in SQL). */
    history: z.array(HistoryMessage),
    tools: z.array(ClaimedTool),
    mcp_servers: z.array(ClaimedMcpServer),
  }),
  z.object({ outcome: z.literal('superseded') }),
  /** The turn waits on the caller or an approval; their answer queues it again. */
  z.object({ outcome: z.literal('waiting'), status: TurnStatus }),
  z.object({ outcome: z.literal('missing') }),
  z.object({ outcome: z.literal('finished'), status: TurnStatus }),
  /** The claim itself failed the turn (model gone, or claimed too often); the queue has moved on. */
  TurnFailed.extend({ error: z.string(), owner_id: z.string() }),
]);
export type Claim = z.infer<typeof Claim>;

/**
 * How completing or failing a turn went; only this claim's own, current turn changes anything.
 * `message` is null only when a spend limit stopped the turn before its next call (chatq_reserve_step).
 */
export const Finish = z.discriminatedUnion('outcome', [
  AfterTurn.extend({ outcome: z.literal('completed'), message: MessageRow.nullable() }),
  TurnFailed,
  z.object({ outcome: z.literal('superseded') }),
  /** The turn moved on without this claim; `status` is null when its chat (and so the turn) was deleted. */
  z.object({ outcome: z.literal('stale'), status: TurnStatus.nullable() }),
]);
export type Finish = z.infer<typeof Finish>;

/** Whether a step or tool result was stored; only this claim's own, current turn takes one. */
export const Recorded = z.discriminatedUnion('outcome', [
  /** `message` is null when the call already had its result (a retried worker stores nothing twice). */
  z.object({ outcome: z.literal('recorded'), message: MessageRow.nullable() }),
  z.object({ outcome: z.literal('superseded') }),
  z.object({ outcome: z.literal('stale'), status: TurnStatus.nullable() }),
]);
export type Recorded = z.infer<typeof Recorded>;

/**
 * Whether the next model call of a turn may go ahead (`reserved`), or the spend limit ended the turn
 * (completed, keeping its earlier steps, or failed when it had made none); else stale or superseded.
 */
export const Reserved = z.union([z.object({ outcome: z.literal('reserved') }), Finish]);
export type Reserved = z.infer<typeof Reserved>;

/** Whether the turn now waits on the caller or an approval. */
export const Parked = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('parked'), chat: ChatRow, turn: TurnRow }),
  z.object({ outcome: z.literal('superseded') }),
  z.object({ outcome: z.literal('stale'), status: TurnStatus.nullable() }),
]);
export type Parked = z.infer<typeof Parked>;

/** A tool's result as the loop stores it. */
export interface ToolResult {
  tool_call_id: string;
  name: string;
  output: unknown;
  is_error: boolean;
}

/**
 * A chatq_* function returned JSON that matches none of its outcomes: the SQL and the worker
 * disagree about the contract. The reason names the function and the paths that failed, never the
 * values (they may hold message content).
 */
export class ChatqResultError extends Error {
  override name = 'ChatqResultError';
  readonly fn: string;

  constructor(fn: string, issues: readonly z.core.$ZodIssue[]) {
    super(`${fn} returned an unexpected result (${issues.map(describeIssue).join('; ')})`);
    this.fn = fn;
  }
}

/** Where a result failed and what the schema wanted there, from the schema's side only. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.join('.') || '(result)';
  const wanted =
    issue.code === 'invalid_type'
      ? issue.expected
      : issue.code === 'invalid_value'
        ? issue.values.join(' | ')
        : issue.code === 'invalid_union' && 'options' in issue
          ? (issue.options as unknown[]).join(' | ')
          : undefined;
  return wanted === undefined ? `${where}: ${issue.code}` : `${where}: expected ${wanted}`;
}

/** Parses the JSON result of chatq function `fn`, or throws a ChatqResultError. */
export function parseResult<S extends z.ZodType>(fn: string, schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ChatqResultError(fn, parsed.error.issues);
  return parsed.data;
}

/**
 * The worker's side of a turn. Claim, complete and fail are the chatq_* functions (one round trip
 * each, locking the chat row first), which enforce the turn rules; see infra for them.
 */
export class TurnsRepository {
  private readonly sql: Sql;
  private readonly spend: SpendDefault;

  /** `spend`: the server's default spend limit, for users without their own. */
  constructor(sql: Sql, spend: SpendDefault = NO_SPEND_DEFAULT) {
    this.sql = sql;
    this.spend = spend;
  }

  /** Reserves the worst-case cost of the turn's next model call against its owner's spend limit. */
  async reserveStep(turnId: string, claimId: string): Promise<Reserved> {
    const [row] = await this.sql`
      select chatq_reserve_step(${turnId}, ${claimId}, ${this.spend.micros}::bigint, ${this.spend.period}::text) as r`;
    return parseResult('chatq_reserve_step', Reserved, row?.r);
  }

  async claim(turnId: string, claimId: string, maxAttempts: number): Promise<Claim> {
    const [row] = await this.sql`select chatq_claim_turn(${turnId}, ${claimId}, ${maxAttempts}) as r`;
    return parseResult('chatq_claim_turn', Claim, row?.r);
  }

  /** The turn's last step; `parts` only when it still called tools as max_steps ran out. */
  async complete(
    turnId: string,
    claimId: string,
    content: string,
    usage: Usage,
    costMicros: number | null,
    last: { parts?: MessagePart[] | null; finishReason?: FinishReason } = {},
  ): Promise<Finish> {
    const parts = last.parts ? this.sql.json(last.parts as never) : null;
    const [row] = await this.sql`
      select chatq_complete_turn(${turnId}, ${claimId}, ${content}, ${this.sql.json(usage)}, ${costMicros},
                                 ${parts}, ${last.finishReason ?? 'stop'}) as r`;
    return parseResult('chatq_complete_turn', Finish, row?.r);
  }

  /** A step that called tools: its message, before any of the calls runs. */
  async recordStep(
    turnId: string,
    claimId: string,
    content: string,
    parts: MessagePart[],
    usage: Usage,
    costMicros: number | null,
  ): Promise<Recorded> {
    const [row] = await this.sql`
      select chatq_record_step(${turnId}, ${claimId}, ${content}, ${this.sql.json(parts as never)},
                               ${this.sql.json(usage)}, ${costMicros}) as r`;
    return parseResult('chatq_record_step', Recorded, row?.r);
  }

  async recordToolResult(turnId: string, claimId: string, result: ToolResult): Promise<Recorded> {
    const [row] = await this.sql`
      select chatq_record_tool_result(${turnId}, ${claimId}, ${this.sql.json(result as never)}) as r`;
    return parseResult('chatq_record_tool_result', Recorded, row?.r);
  }

  async park(
    turnId: string,
    claimId: string,
    status: 'requires_action' | 'awaiting_approval',
    pending: PendingToolCall[],
  ): Promise<Parked> {
    const [row] = await this.sql`
      select chatq_park_turn(${turnId}, ${claimId}, ${status}, ${this.sql.json(pending as never)}) as r`;
    return parseResult('chatq_park_turn', Parked, row?.r);
  }

  /** `claimId` null fails the turn whoever claimed it (the job itself has died). */
  async fail(turnId: string, claimId: string | null, error: string): Promise<Finish> {
    const [row] = await this.sql`select chatq_fail_turn(${turnId}, ${claimId}, ${error}) as r`;
    return parseResult('chatq_fail_turn', Finish, row?.r);
  }

  /**
   * Takes a batch of live turns the relay should hand to the queue again, stamps them, and returns
   * their jobs: queued turns not enqueued (or re-enqueued) for `afterMs`, and running turns not
   * re-enqueued for as long, in case Redis lost their job while their worker died. Re-adding a job
   * that still exists is a no-op (deterministic ids), and a re-added running turn is re-claimed
   * behind the claim fence. SKIP LOCKED lets every worker's relay run without stepping on the others.
   */
  async takeDueOutbox(afterMs: number, limit: number): Promise<TurnJob[]> {
    const cutoff = this.sql`now() - make_interval(secs => ${afterMs / 1000})`;
    const rows = await this.sql<{ turn_id: string; chat_id: string; generation: string; resumes: number }[]>`
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
      returning t.id as turn_id, t.chat_id, t.generation, t.resumes`;
    return rows.map((r) => turnJob(r));
  }
}

/** A turn's job as a row names it: a resumed turn's job carries its resume count (see turnJobId). */
export function turnJob(r: {
  turn_id: string;
  chat_id: string;
  generation: string | number;
  resumes: number;
}): TurnJob {
  return {
    turn_id: r.turn_id,
    chat_id: r.chat_id,
    generation: Number(r.generation),
    ...(r.resumes > 0 ? { resume: r.resumes } : {}),
  };
}
