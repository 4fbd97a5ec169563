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

/** A provider as the API shows it: whether a key is set and which secret headers, never their values. */
export const Provider = z
  .object({
    id: Uuid,
    name: z.string(),
    kind: ProviderKind,
    base_url: z.string().nullable(),
    has_api_key: z.boolean(),
    /** Names of the headers sent, sealed, on every call (`secret_headers`); lower-case, sorted. */
    secret_header_names: z.array(z.string()),
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
        secret_header_names: ['x-gateway-key'],
        options: {},
        created_at: EXAMPLE.createdAt,
      },
    ],
  });
export type Provider = z.infer<typeof Provider>;

const Name = z.string().min(1).max(100);
const BaseUrl = z.url({ protocol: /^https?$/ }).max(2000);
const ApiKey = z.string().min(1).max(4000);

/** Most secret headers one provider or MCP server may carry. */
export const MAX_SECRET_HEADERS = 20;

/** A header name as RFC 9110 spells a token; the server stores it lower-case. */
const HeaderName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { message: 'must be an HTTP header name' });

/**
 * Headers sent on every call to a provider or MCP server, e.g. a gateway's key: write-only, sealed
 * like `api_key` (responses list their names in `secret_header_names`).
 */
export const SecretHeaders = z
  .record(
    HeaderName,
    z
      .string()
      .min(1)
      .max(4000)
      .regex(/^[\t\x20-\x7e]+$/, { message: 'must be printable ASCII on one line' }),
  )
  .refine((h) => Object.keys(h).length <= MAX_SECRET_HEADERS, {
    message: `must have at most ${MAX_SECRET_HEADERS} headers`,
  })
  .refine((h) => new Set(Object.keys(h).map((k) => k.toLowerCase())).size === Object.keys(h).length, {
    message: 'must not name a header twice',
  })
  .meta({ examples: [{ 'x-gateway-key': 'gw-live-0123456789' }] });
export type SecretHeaders = z.infer<typeof SecretHeaders>;

export const CreateProviderBody = RequestBody({
  name: Name,
  kind: ProviderKind,
  base_url: BaseUrl.optional(),
  api_key: ApiKey.optional(),
  secret_headers: SecretHeaders.optional(),
  options: ModelOptionsInput.optional(),
}).meta({ examples: [{ name: 'local-ollama', kind: 'openai-compatible', base_url: 'http://127.0.0.1:11434/v1' }] });
export type CreateProviderBody = z.infer<typeof CreateProviderBody>;

/**
 * `null` clears `base_url`, `api_key` or `secret_headers`; an absent field is left as it is. New
 * `secret_headers` replace the whole set.
 */
export const UpdateProviderBody = RequestBody({
  name: Name.optional(),
  base_url: BaseUrl.nullable().optional(),
  api_key: ApiKey.nullable().optional(),
  secret_headers: SecretHeaders.nullable().optional(),
  options: ModelOptionsInput.optional(),
}).meta({ examples: [{ api_key: 'sk-live-rotated-key', base_url: null }] });
export type UpdateProviderBody = z.infer<typeof UpdateProviderBody>;

export const ProviderResponse = z.object({ provider: Provider });
export const ProviderList = Page(Provider);
