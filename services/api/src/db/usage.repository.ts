import { SpendLimitsResponse, type UsageGroupBy, type UsageReportRow, type UsageTotals } from '@chatq/contracts';
import type { Sql, SpendDefault } from '@chatq/platform';
import { parseResult } from './results.ts';
import { z } from 'zod';
import { scopedSql } from './transaction.ts';

type Sum = string | number | null;

interface TotalsRow {
  replies: number;
  input_tokens: Sum;
  output_tokens: Sum;
  reasoning_tokens: Sum;
  cache_read_tokens: Sum;
  cache_write_tokens: Sum;
  cost_micros: Sum;
  unpriced_replies: number;
}

/** bigint sums arrive as strings; usage stays far below 2^53. */
const toTotals = (r: TotalsRow): UsageTotals => ({
  replies: r.replies,
  input_tokens: Number(r.input_tokens ?? 0),
  output_tokens: Number(r.output_tokens ?? 0),
  reasoning_tokens: Number(r.reasoning_tokens ?? 0),
  cache_read_tokens: Number(r.cache_read_tokens ?? 0),
  cache_write_tokens: Number(r.cache_write_tokens ?? 0),
  cost_micros: r.replies === 0 ? 0 : r.cost_micros == null ? null : Number(r.cost_micros),
  unpriced_replies: r.unpriced_replies,
});

/** Sums over replies `m`: the sum of no priced reply is null (unpriced), not 0. */
const TOTALS = `
  count(m.id)::int as replies,
  sum((m.usage ->> 'input_tokens')::bigint) as input_tokens,
  sum((m.usage ->> 'output_tokens')::bigint) as output_tokens,
  sum((m.usage ->> 'reasoning_tokens')::bigint) as reasoning_tokens,
  sum((m.usage ->> 'cache_read_tokens')::bigint) as cache_read_tokens,
  sum((m.usage ->> 'cache_write_tokens')::bigint) as cache_write_tokens,
  sum(m.cost_micros) as cost_micros,
  (count(m.id) filter (where m.cost_micros is null))::int as unpriced_replies`;

/**
 * A report's group key of reply `m` (in chat `c`, joined for `user` only); replies without a model
 * config group under `none`.
 */
const GROUP_KEYS: Record<UsageGroupBy, string> = {
  user: 'c.owner_id::text',
  model_config: "coalesce(m.model_config_id::text, 'none')",
  day: "to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD')",
};

interface ReportRow {
  key: string | null;
  is_total: boolean;
  replies: number;
  input_tokens: Sum;
  output_tokens: Sum;
  cost_micros: Sum;
  turns: number;
}

/** A report's groups, and the sums over all of them. */
export interface ReportRows {
  groups: UsageReportRow[];
  total: Omit<UsageReportRow, 'key'>;
}

const toReportRow = (r: ReportRow): UsageReportRow => ({
  key: r.key ?? '',
  input_tokens: Number(r.input_tokens ?? 0),
  output_tokens: Number(r.output_tokens ?? 0),
  // As in `toTotals`: nothing spent is 0; replies none of which had a price, null.
  cost_micros: r.replies === 0 ? 0 : r.cost_micros == null ? null : Number(r.cost_micros),
  turns: r.turns,
});

/** Usage sums over assistant replies, including those an edit has since removed. */
export class UsageRepository {
  private readonly sql: Sql;

  /** Queries join the caller's transaction, if any (see `transaction`). */
  constructor(sql: Sql) {
    this.sql = scopedSql(sql);
  }

  /**
   * `from` inclusive, `to` exclusive, on reply `m`. A bound that is absent is left out of the SQL
   * rather than tested for null in it: each combination is its own prepared statement, so even
   * Postgres's generic plan for it reads the range by index.
   */
  private range(from: string | null, to: string | null) {
    return this.sql`
      ${from === null ? this.sql`` : this.sql`and m.created_at >= ${from}::timestamptz`}
      ${to === null ? this.sql`` : this.sql`and m.created_at < ${to}::timestamptz`}`;
  }

  /** Undefined when the chat is not the owner's. */
  async forChat(owner: string, chatId: string): Promise<UsageTotals | undefined> {
    const [row] = await this.sql<TotalsRow[]>`
      select ${this.sql.unsafe(TOTALS)}
      from chats c
      left join messages m on m.chat_id = c.id and m.role = 'assistant' and m.usage is not null
      where c.id = ${chatId} and c.owner_id = ${owner}
      group by c.id`;
    return row && toTotals(row);
  }

  /** Undefined when the user does not exist. `from` inclusive, `to` exclusive. */
  async forUser(userId: string, from: string | null, to: string | null) {
    const [row] = await this.sql<TotalsRow[]>`
      select ${this.sql.unsafe(TOTALS)}
      from users u
      left join chats c on c.owner_id = u.id
      left join messages m on m.chat_id = c.id and m.role = 'assistant' and m.usage is not null
        ${this.range(from, to)}
      where u.id = ${userId}
      group by u.id`;
    return row && toTotals(row);
  }

  /**
   * Every reply of every chat in the range (the same replies `forUser` sums: edited-away ones count),
   * grouped, in key order, at most `maxGroups` groups: undefined when there are more. The total is
   * the same query's grand total (a grouping set), so it always sums exactly these groups.
   */
  async report(
    groupBy: UsageGroupBy,
    from: string | null,
    to: string | null,
    maxGroups: number,
  ): Promise<ReportRows | undefined> {
    const key = this.sql.unsafe(GROUP_KEYS[groupBy]);
    const rows = await this.sql<ReportRow[]>`
      select ${key} as key, grouping(${key}) = 1 as is_total, count(m.id)::int as replies,
             sum((m.usage ->> 'input_tokens')::bigint) as input_tokens,
             sum((m.usage ->> 'output_tokens')::bigint) as output_tokens,
             sum(m.cost_micros) as cost_micros,
             count(distinct m.turn_id)::int as turns
      from messages m ${groupBy === 'user' ? this.sql`join chats c on c.id = m.chat_id` : this.sql``}
      where m.role = 'assistant' and m.usage is not null ${this.range(from, to)}
      group by grouping sets ((${key}), ())
      order by is_total desc, key
      limit ${maxGroups + 2}`;
    // The grand total comes first; with no reply at all it is still there, all nulls and zeros.
    const [total, ...groups] = rows;
    if (groups.length > maxGroups) return undefined;
    const { key: _, ...sums } = toReportRow(total!);
    return { groups: groups.map(toReportRow), total: sums };
  }

  /**
   * Where the user stands against their spend limit (chatq_spend_limits); undefined when the user
   * does not exist.
   */
  async spendLimits(userId: string, spend: SpendDefault): Promise<SpendLimitsResponse | undefined> {
    const [row] = await this.sql<{ r: unknown }[]>`
      select chatq_spend_limits(${userId}, ${spend.micros}::bigint, ${spend.period}::text) as r`;
    if (row?.r == null) return undefined;
    const limits = parseResult('chatq_spend_limits', SpendLimitsJson, row.r);
    return { ...limits, resets_at: new Date(limits.resets_at).toISOString() };
  }
}

/** jsonb hands bigints back as numbers and the timestamp as Postgres text. */
const SpendLimitsJson = SpendLimitsResponse.extend({ resets_at: z.string() });
