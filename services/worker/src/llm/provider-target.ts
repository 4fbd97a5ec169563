import type { ProviderKind } from '@chatq/contracts';
import type { SecretBox } from '@chatq/platform';
import type { ModelCall } from './types.ts';

/** A provider as the claim or a check reads it from Postgres. */
export interface ProviderRow {
  kind: ProviderKind;
  base_url: string | null;
  options: Record<string, unknown>;
  /** base64 of the sealed key, or null. */
  api_key: string | null;
}

/**
 * The one place a sealed provider key is opened: turns a provider row into what a model call
 * needs. The plaintext key lives only in the returned object, for the duration of the call.
 */
export function providerTarget(row: ProviderRow, secrets: SecretBox): ModelCall['provider'] {
  return {
    kind: row.kind,
    baseUrl: row.base_url,
    apiKey: row.api_key ? secrets.open(Buffer.from(row.api_key, 'base64')) : null,
    options: row.options,
  };
}
