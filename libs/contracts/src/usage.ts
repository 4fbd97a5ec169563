import { z } from 'zod';
import { Timestamp, Uuid } from './common.ts';
import { SpendLimit } from './users.ts';

/**
 * Usage summed over assistant replies (edited-away ones too: their tokens were spent). `cost_micros`
 * sums the priced replies and is null when none of the counted replies had a price, so unpriced
 * stays distinct from free; `unpriced_replies` says how many replies the cost leaves out.
 */
export const UsageTotals = z
  .object({
    replies: z.number().int().nonnegative(),
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
    reasoning_tokens: z.number().int().nonnegative(),
    cache_read_tokens: z.number().int().nonnegative(),
    cache_write_tokens: z.number().int().nonnegative(),
    cost_micros: z.number().int().nullable(),
    unpriced_replies: z.number().int().nonnegative(),
  })
  .meta({
    examples: [
      {
        replies: 12,
        input_tokens: 18_240,
        output_tokens: 3_105,
        reasoning_tokens: 0,
        cache_read_tokens: 9_216,
        cache_write_tokens: 0,
        cost_micros: 4_599,
        unpriced_replies: 0,
      },
    ],
  });
export type UsageTotals = z.infer<typeof UsageTotals>;

/** `from` inclusive, `to` exclusive; either may be left open. */
export const UsageQuery = z
  .object({ from: Timestamp.optional(), to: Timestamp.optional().meta({ examples: ['2025-07-01T00:00:00Z'] }) })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
    message: 'must be before to',
    path: ['from'],
  });
export type UsageQuery = z.infer<typeof UsageQuery>;

export const ChatUsageResponse = z.object({ chat_id: Uuid, usage: UsageTotals });
export const UserUsageResponse = z.object({
  user_id: Uuid,
  from: Timestamp.nullable(),
  to: Timestamp.nullable(),
  usage: UsageTotals,
});

/** How a usage report groups replies: by the chat owner, the model config, or the UTC day. */
export const UsageGroupBy = z.enum(['user', 'model_config', 'day']);
export type UsageGroupBy = z.infer<typeof UsageGroupBy>;

/**
 * Most groups one report holds: a report that would have more is refused (400) rather than cut,
 * so a total never sums rows the caller did not get. Narrow `from`/`to` to get under it.
 */
export const MAX_USAGE_GROUPS = 5_000;

/** `from` inclusive, `to` exclusive; either may be left open. */
export const UsageReportQuery = z
  .object({
    from: Timestamp.optional(),
    to: Timestamp.optional().meta({ examples: ['2025-07-01T00:00:00Z'] }),
    group_by: UsageGroupBy,
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
    message: 'must be before to',
    path: ['from'],
  });
export type UsageReportQuery = z.infer<typeof UsageReportQuery>;

/** Sums of one group (or of all, as `total`); `cost_micros` is null when none of its replies had a price. */
const UsageSums = {
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  cost_micros: z.number().int().nullable(),
  /** Turns that produced the group's replies (an agent turn's steps are one turn). */
  turns: z.number().int().nonnegative(),
};

/**
 * One group: `key` is a user id, a model config id, or a UTC day (`2025-06-15`). Replies without a
 * model config (none today) group under the key `none`.
 */
export const UsageReportRow = z.object({ key: z.string(), ...UsageSums });
export type UsageReportRow = z.infer<typeof UsageReportRow>;

export const UsageReport = z.object({ data: z.array(UsageReportRow), total: z.object(UsageSums) }).meta({
  examples: [
    {
      data: [
        { key: '2025-06-14', input_tokens: 10_020, output_tokens: 1_800, cost_micros: 2_511, turns: 7 },
        { key: '2025-06-15', input_tokens: 8_220, output_tokens: 1_305, cost_micros: 2_088, turns: 5 },
      ],
      total: { input_tokens: 18_240, output_tokens: 3_105, cost_micros: 4_599, turns: 12 },
    },
  ],
});
export type UsageReport = z.infer<typeof UsageReport>;

/** The CSV form's header row, in column order. */
export const USAGE_REPORT_CSV_COLUMNS = ['key', 'input_tokens', 'output_tokens', 'cost_micros', 'turns'] as const;

/**
 * Where a user stands against their spend limit (their own, else the server default; null: none)
 * in the current calendar UTC period: what settled replies cost, what live turns and queued
 * messages hold in reservations, and when the period ends. Without a limit the period is the
 * server default's (SPEND_LIMIT_PERIOD) and nothing is reserved.
 */
export const SpendLimitsResponse = z
  .object({
    spend_limit: SpendLimit.nullable(),
    spent_micros: z.number().int().nonnegative(),
    reserved_micros: z.number().int().nonnegative(),
    resets_at: Timestamp,
  })
  .meta({
    examples: [
      {
        spend_limit: { amount_micros: 50_000_000, period: 'month' },
        spent_micros: 12_480_112,
        reserved_micros: 61_440,
        resets_at: '2025-08-01T00:00:00.000Z',
      },
    ],
  });
export type SpendLimitsResponse = z.infer<typeof SpendLimitsResponse>;
