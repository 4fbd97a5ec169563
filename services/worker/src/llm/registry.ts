import type { ProviderKind } from '@chatq/contracts';
import { callMock } from './mock.ts';
import type { ModelCall, ModelCaller, ModelReply } from './types.ts';

/** A provider that cannot be called as configured; never worth a retry. */
export class ProviderConfigError extends Error {
  override name = 'ProviderConfigError';
}

const callers: Partial<Record<ProviderKind, ModelCaller>> = {
  mock: callMock,
};

/** Routes a call to its provider kind's implementation. */
export function callModel(call: ModelCall): Promise<ModelReply> {
  const caller = callers[call.provider.kind];
  if (!caller) return Promise.reject(new ProviderConfigError(`provider kind ${call.provider.kind} is not supported`));
  return caller(call);
}
