import type { ModelCaller } from '@chatq/worker/llm/types.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settledChat, startChat } from '../harness/chats.ts';
import { createMockModel } from '../harness/models.ts';
import { startStack, type TestStack } from '../harness/stack.ts';

/*
 * WORKER_MAX_TURN_ATTEMPTS is the one bound on a turn's attempts: whatever BullMQ was told when the
 * job was enqueued, the worker stops at the knob. (Workers that die mid-turn count against the same
 * bound: test/ops/worker-crash.test.ts.)
 */
describe.each([3, 10])('WORKER_MAX_TURN_ATTEMPTS=%i', (attempts) => {
  let stack: TestStack;
  let calls = 0;
  /** A provider that is always down, retryably so. */
  const alwaysUnavailable: ModelCaller = async () => {
    calls++;
    throw Object.assign(new Error('service unavailable'), { statusCode: 503 });
  };

  beforeAll(async () => {
    stack = await startStack({
      env: { WORKER_MAX_TURN_ATTEMPTS: String(attempts), WORKER_RETRY_BASE_MS: '10' },
      callModel: alwaysUnavailable,
    });
  });
  afterAll(() => stack.close());

  it(`calls a provider that keeps failing retryably exactly ${attempts} times, then fails the turn saying so`, async () => {
    const model = await createMockModel(stack.client, `down-${attempts}`);
    const { chat, turn } = await startChat(stack.client, 'anyone there?', model);

    const error = `provider server error (503); gave up after ${attempts} attempts (retries and lost workers)`;
    expect(await settledChat(stack.client, chat.id)).toMatchObject({ status: 'error', last_error: error });
    expect(calls).toBe(attempts);
    const [row] = await stack.sql`select status, error, attempts from turns where id = ${turn.id}`;
    expect(row).toEqual({ status: 'failed', error, attempts });
  });
});
