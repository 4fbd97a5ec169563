import { z } from 'zod';

export const Health = z.object({ status: z.literal('ok') }).meta({ examples: [{ status: 'ok' }] });
export const Readiness = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({
      postgres: z.enum(['ok', 'down']),
      redis: z.enum(['ok', 'down']),
      migrations: z.enum(['ok', 'pending', 'unknown']),
    }),
  })
  .meta({
    examples: [
      { status: 'ready', checks: { postgres: 'ok', redis: 'ok', migrations: 'ok' } },
      { status: 'not_ready', checks: { postgres: 'ok', redis: 'down', migrations: 'ok' } },
    ],
  });
export type Readiness = z.infer<typeof Readiness>;
