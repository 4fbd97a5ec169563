import { z } from 'zod';

export const Uuid = z.uuid();
export const Timestamp = z.iso.datetime({ offset: true });

/** One failed field of a request: `field` is a dotted path such as `body.content`. */
export const Validation = z.object({ field: z.string(), detail: z.string() });
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

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().max(200).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

export const IdParams = z.object({ id: Uuid });
