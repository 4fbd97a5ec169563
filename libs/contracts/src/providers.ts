import { z } from 'zod';
import { Page, RequestBody, Timestamp, Uuid } from './common.ts';
import { EXAMPLE } from './examples.ts';

export const ProviderKind = z.enum(['mock', 'openai', 'anthropic', 'google', 'openai-compatible']);
export type ProviderKind = z.infer<typeof ProviderKind>;

/** Provider- or model-level call options (temperature, top_p, latency_ms for `mock`, ...). */
export const ModelOptions = z.record(z.string(), z.unknown()).meta({ examples: [{ temperature: 0.7 }] });

/** Longest `options` a request may set, in characters of JSON. */
export const MAX_OPTIONS_CHARS = 16_384;

/** `options` as a request sets them: bounded, so one config cannot bloat every turn that reads it. */
export const ModelOptionsInput = ModelOptions.refine((o) => JSON.stringify(o).length <= MAX_OPTIONS_CHARS, {
  message: `must be at most ${MAX_OPTIONS_CHARS} characters of JSON`,
});

/** A provider as the API shows it: whether a key is set, never the key. */
export const Provider = z
  .object({
    id: Uuid,
    name: z.string(),
    kind: ProviderKind,
    base_url: z.string().nullable(),
    has_api_key: z.boolean(),
    options: ModelOptions,
    created_at: Timestamp,
  })
  .meta({
    examples: [
      {
        id: EXAMPLE.providerId,
        name: 'openai',
        kind: 'openai',
        base_url: null,
        has_api_key: true,
        options: {},
        created_at: EXAMPLE.createdAt,
      },
    ],
  });
export type Provider = z.infer<typeof Provider>;

const Name = z.string().min(1).max(100);
const BaseUrl = z.url({ protocol: /^https?$/ }).max(2000);
const ApiKey = z.string().min(1).max(4000);

export const CreateProviderBody = RequestBody({
  name: Name,
  kind: ProviderKind,
  base_url: BaseUrl.optional(),
  api_key: ApiKey.optional(),
  options: ModelOptionsInput.optional(),
}).meta({ examples: [{ name: 'local-ollama', kind: 'openai-compatible', base_url: 'http://127.0.0.1:11434/v1' }] });
export type CreateProviderBody = z.infer<typeof CreateProviderBody>;

/** `null` clears `base_url` or `api_key`; an absent field is left as it is. */
export const UpdateProviderBody = RequestBody({
  name: Name.optional(),
  base_url: BaseUrl.nullable().optional(),
  api_key: ApiKey.nullable().optional(),
  options: ModelOptionsInput.optional(),
}).meta({ examples: [{ api_key: 'sk-live-rotated-key', base_url: null }] });
export type UpdateProviderBody = z.infer<typeof UpdateProviderBody>;

export const ProviderResponse = z.object({ provider: Provider });
export const ProviderList = Page(Provider);
