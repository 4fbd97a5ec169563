import { z } from 'zod';

export const Health = z.object({ status: z.literal('ok') });
export const Readiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    postgres: z.enum(['ok', 'down']),
    redis: z.enum(['ok', 'down']),
    migrations: z.enum(['ok', 'pending', 'unknown']),
  }),
});
export type Readiness = z.infer<typeof Readiness>;
