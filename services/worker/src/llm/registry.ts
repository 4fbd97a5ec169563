import type { ProviderKind } from '@chatq/contracts';
import { callAiSdk } from './ai-sdk.ts';
import { ProviderConfigError } from './errors.ts';
import { callMock } from './mock.ts';
import type { ModelCall, ModelCaller, ModelReply } from './types.ts';

const callers: Record<ProviderKind, ModelCaller> = {
  mock: callMock,
  openai: (call) => callAiSdk('openai', call),
  anthropic: (call) => callAiSdk('anthropic', call),
  google: (call) => callAiSdk('google', call),
  'openai-compatible': (call) => callAiSdk('openai-compatible', call),
};

/** Routes a call to its provider kind's implementation. */
export function callModel(call: ModelCall): Promise<ModelReply> {
  const caller = callers[call.provider.kind] as ModelCaller | undefined;
  if (!caller) return Promise.reject(new ProviderConfigError(`provider kind ${call.provider.kind} is not supported`));
  return caller(call);
}
