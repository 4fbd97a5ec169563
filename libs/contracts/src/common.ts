import { z } from 'zod';
import { EXAMPLE } from './examples.ts';

declare module 'zod' {
  interface GlobalMeta {
    /** Example values, typed by the schema they illustrate; the OpenAPI document shows them. */
    examples?: z.$output[];
  }
}

export const Uuid = z.uuid().meta({ examples: [EXAMPLE.chatId] });
/**
 * An ISO 8601 instant with an offset. Year 0000 is valid ISO (1 BC) but not a date Postgres reads,
 * so it is refused here rather than by the database; every other four-digit year it stores.
 */
export const Timestamp = z.iso
  .datetime({ offset: true })
  .refine((value) => !value.startsWith('0000'), { message: 'must be a date from year 0001 to 9999' })
  .meta({ examples: [EXAMPLE.createdAt] });

/**
 * The object schema of every request body: a field it does not know is refused (400, one validation
 * per field) rather than dropped, so a misspelt or unsupported field (`model_config` for
 * `model_config_id`) cannot silently fall back to a default. Query strings stay lenient on purpose:
 * they only read, and clients and proxies add parameters of their own (cache busters such as
 * `_=<time>`, an EventSource polyfill's `lastEventId`) that a strict schema would turn into errors
 * the caller never typed.
 */
export const RequestBody = z.strictObject;

/** One failed field of a request: `field` is a dotted path such as `body.content`. */
export const Validation = z
  .object({ field: z.string(), detail: z.string() })
  .meta({ examples: [{ field: 'body.content', detail: 'must not be empty' }] });
export type Validation = z.infer<typeof Validation>;

/** Every 4xx/5xx body. `detail` and `validations` appear only when they help the caller. */
export const ErrorBody = z.object({
  message: z.string(),
  detail: z.string().optional(),
  validations: z.array(Validation).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Free text a person typed: at least one non-space character, bounded. */
export const Text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => s.trim().length > 0, { message: 'must not be empty' });

const Cursor = z
  .string()
  .min(1)
  .max(200)
  .meta({ examples: ['MDE5N2EzYzItNWIxZS03YzRkLTlmMDAtMmE2YjhjMWQzZTA0'] });

/**
 * Keyset pagination of every list. A cursor (opaque, from `next_cursor`) marks a boundary in the
 * list: `after` returns the items past it, `before` the items up to it, so `before` with the cursor
 * that led to page N+1 returns page N again. At most one of the two.
 */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: Cursor.optional(),
  before: Cursor.optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

/**
 * One page of a list, in list order. `has_more` says whether items lie beyond this page in the
 * direction of travel; `next_cursor` then continues that way (pass it as `after`, or as `before`
 * when paging back), and is null otherwise.
 */
export const Page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), next_cursor: Cursor.nullable(), has_more: z.boolean() });

/** A page as code handles it. */
export interface PageOf<T> {
  data: T[];
  next_cursor: string | null;
  has_more: boolean;
}

/** `true` / `false` in a query string (z.coerce.boolean would read "false" as true). */
export const QueryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');

/** Client-chosen key that makes a POST or PATCH safe to retry (see the idempotency docs). */
export const IdempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .meta({ examples: ['5f0c6a8e-send-hello-1'] });
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export const IdParams = z.object({ id: Uuid });

/** The (absent) body of a 204 response. */
export const NoContent = z.null();
