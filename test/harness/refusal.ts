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

/**
 * A typed client call's answer, or the `ChatqApiError` it was refused with: for races and polls
 * where either may come back. Both have `status` and `body`; any other failure still throws.
 */
export async function outcome<T extends { status: number }>(call: Promise<T>): Promise<T | ChatqApiError> {
  return call.catch((err: unknown) => {
    if (err instanceof ChatqApiError) return err;
    throw err;
  });
}
