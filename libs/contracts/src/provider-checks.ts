import { z } from 'zod';
import { RequestBody, Uuid } from './common.ts';

/** Name of the BullMQ queue that carries provider checks from the API to the workers. */
export const PROVIDER_CHECK_QUEUE = 'provider-checks';

/**
 * A provider check as the API queues it. No credentials: the worker reads and opens the key
 * itself. `deadline` (epoch ms) is when the API stops waiting; a worker that takes the job later
 * skips the call, as nobody would read the answer.
 */
export const ProviderCheckJob = z.object({
  provider_id: Uuid,
  model: z.string().min(1).max(200).optional(),
  deadline: z.number().int(),
});
export type ProviderCheckJob = z.infer<typeof ProviderCheckJob>;

export const ProviderTestBody = RequestBody({
  /** The model to call; by default the provider's oldest enabled model config. */
  model: z.string().min(1).max(200).optional(),
}).meta({ examples: [{ model: 'gpt-4o-mini' }] });
export type ProviderTestBody = z.infer<typeof ProviderTestBody>;

/** What a one-token call to the provider showed. `error` is the classified, secret-free reason. */
export const ProviderTestResult = z
  .object({
    ok: z.boolean(),
    latency_ms: z.number().int().nonnegative(),
    model: z.string().optional(),
    error: z.string().optional(),
  })
  .meta({
    examples: [
      { ok: true, latency_ms: 412, model: 'gpt-4o-mini' },
      { ok: false, latency_ms: 168, model: 'gpt-4o-mini', error: 'provider rejected the API key' },
    ],
  });
export type ProviderTestResult = z.infer<typeof ProviderTestResult>;
