import { ChatqApiError } from '@chatq/client';
import { expect } from 'vitest';

/** The `ChatqApiError` a typed client call ends in; fails the test if the call succeeds. */
export async function refusal(call: Promise<unknown>): Promise<ChatqApiError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChatqApiError);
  return err as ChatqApiError;
}
