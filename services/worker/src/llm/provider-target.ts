import type { ProviderKind } from '@chatq/contracts';
import type { SecretBox } from '@chatq/platform';
import { z } from 'zod';
import type { ModelCall } from './types.ts';

/** A provider as the claim or a check reads it from Postgres. */
export interface ProviderRow {
  kind: ProviderKind;
  base_url: string | null;
  options: Record<string, unknown>;
  /** base64 of the sealed key, or null. */
  api_key: string | null;
  /** base64 of the sealed JSON object of secret headers, or null. */
  secret_headers: string | null;
}

/** What the API sealed as secret headers: lower-case names to values. */
const SecretHeaders = z.record(z.string(), z.string());

const open = (sealed: string, secrets: SecretBox) => secrets.open(Buffer.from(sealed, 'base64'));

/**
 * The one place sealed provider secrets are opened: turns a provider row into what a model call
 * needs. The plaintext key and headers live only in the returned object, for the duration of the
 * call.
 */
export function providerTarget(row: ProviderRow, secrets: SecretBox): ModelCall['provider'] {
  return {
    kind: row.kind,
    baseUrl: row.base_url,
    apiKey: row.api_key ? open(row.api_key, secrets) : null,
    headers: row.secret_headers ? SecretHeaders.parse(JSON.parse(open(row.secret_headers, secrets))) : {},
    options: row.options,
  };
}
