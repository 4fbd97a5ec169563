import { turnJobId } from '@chatq/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTurnQueue } from '../harness/queue.ts';
import { startStack, type TestStack } from '../harness/stack.ts';

describe('enqueue after commit', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // No worker and a relay that would wait an hour: only the API itself can have enqueued.
    stack = await startStack({ worker: false, env: { RELAY_AFTER_MS: '3600000' } });
  });
  afterAll(() => stack.close());

  it('puts the turn of the very first request on the queue itself, not through the outbox relay', async () => {
    const turn = (await stack.client.createChat({ body: { content: 'first' } })).body.turn!;
    const queue = openTurnQueue(stack.prefix);
    try {
      const job = await queue.getJob(turnJobId(turn.id));
      expect(job?.data).toEqual({ turn_id: turn.id, chat_id: turn.chat_id, generation: turn.generation });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
