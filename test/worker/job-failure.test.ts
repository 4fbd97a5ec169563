import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockModel } from '../harness/models.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack({ env: { WORKER_RETRY_BASE_MS: '10' } });
});
afterAll(() => stack.close());

describe('a turn job that fails for good outside the provider call', () => {
  it('fails its turn with a readable error instead of leaving the chat busy', async () => {
    const model = await createMockModel(stack.admin, 'never-claimed');
    const user = await stack.member();
    // Every claim errors (as a deadlock or a bug would), on every attempt BullMQ makes.
    await stack.sql`
      create function refuse_running() returns trigger language plpgsql as $$
      begin
        if new.status = 'running' then raise exception 'simulated claim failure'; end if;
        return new;
      end $$`;
    await stack.sql`create trigger refuse_running before update on turns for each row execute function refuse_running()`;
    try {
      const created = await user.post('/api/v1/chats', { content: 'hello', model_config_id: model });
      const chat = await eventually(
        async () => {
          const res = await user.get(`/api/v1/chats/${created.body.chat.id}`);
          return res.body.chat.status === 'error' ? res.body.chat : undefined;
        },
        { what: 'the chat to show the failure', timeoutMs: 15_000 },
      );
      expect(chat.last_error).toBe('turn failed after 5 attempts (internal error)');
      const turn = await user.get(`/api/v1/chats/${created.body.chat.id}/turns/${created.body.turn.id}`);
      expect(turn.body.turn).toMatchObject({
        status: 'failed',
        error: 'turn failed after 5 attempts (internal error)',
      });
    } finally {
      await stack.sql`drop trigger refuse_running on turns`;
      await stack.sql`drop function refuse_running()`;
    }
  });
});
