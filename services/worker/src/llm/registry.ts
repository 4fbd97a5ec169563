import type { ProviderKind } from '@chatq/contracts';
import { createSafeFetch, MAX_ERROR_BODY_BYTES } from '../outbound.ts';
import { callAiSdk } from './ai-sdk.ts';
import { ProviderConfigError } from './errors.ts';
import { callMock } from './mock.ts';
import type { ModelCaller } from './types.ts';

/** How a worker's provider calls reach the network (PROVIDER_ALLOW_LINK_LOCAL, MAX_REPLY_CHARS). */
export interface CallerOptions {
  allowLinkLocal: boolean;
  maxReplyChars: number;
}

/**
 * The model caller of a worker: routes each call to its provider kind's implementation, the AI SDK
 * ones making their requests under the worker's outbound policy.
 */
export function createModelCaller(options: CallerOptions): ModelCaller {
  const fetch = createSafeFetch(
    { allowLinkLocal: options.allowLinkLocal, allowLinkLocalSetting: 'PROVIDER_ALLOW_LINK_LOCAL' },
    // A stream line carries one delta, at most the whole reply, JSON-escaped at up to 6 bytes a character.
    { maxErrorBodyBytes: MAX_ERROR_BODY_BYTES, maxLineBytes: 6 * options.maxReplyChars + 64 * 1024 },
  );
  const callers: Record<ProviderKind, ModelCaller> = {
    mock: callMock,
    openai: (call) => callAiSdk('openai', call, fetch),
    anthropic: (call) => callAiSdk('anthropic', call, fetch),
    google: (call) => callAiSdk('google', call, fetch),
    'openai-compatible': (call) => callAiSdk('openai-compatible', call, fetch),
  };
  return (call) => {
    const caller = callers[call.provider.kind] as ModelCaller | undefined;
    if (!caller) return Promise.reject(new ProviderConfigError(`provider kind ${call.provider.kind} is not supported`));
    return caller(call);
  };
}
