import { ChatqClient } from '@chatq/client';
import { turnJobId } from '@chatq/contracts';
import { addTurnJobs } from '@chatq/chat-core';
import { mockReplyText } from '@chatq/worker/llm/mock.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assistantReplies, settledChat, startChat } from '../harness/chats.ts';
import { createMockModel } from '../harness/models.ts';
import { finishedTurnJob, openTurnQueue } from '../harness/queue.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

let stack: TestStack;
let user: ChatqClient;
let fast: string;
let other: string;
let slow: string;

beforeAll(async () => {
  stack = await startStack();
  user = await stack.memberClient();
  fast = await createMockModel(stack.client, 'fast-model', { input_price_per_mtok: 2, output_price_per_mtok: 10 });
  other = await createMockModel(stack.client, 'other-model');
  slow = await createMockModel(stack.client, 'slow-model', { options: { latency_ms: 1500 } });
});
afterAll(() => stack.close());

const settled = (chatId: string) => settledChat(user, chatId);

const messagesOf = async (chatId: string) => (await user.listMessages({ params: { chat_id: chatId } })).body.data;

describe('assistant turns', () => {
  it('a send produces one assistant reply on the chat’s model, with usage and cost', async () => {
    const created = await startChat(user, 'Hello there', fast);
    const chat = await settled(created.chat.id);
    expect(chat.status).toBe('idle');
    const messages = await messagesOf(chat.id);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    const reply = messages[1]!;
    expect(reply.content).toBe(mockReplyText('fast-model', [{ role: 'user', content: 'Hello there' }]));
    expect(reply.model_config_id).toBe(fast);
    expect(reply.usage!.input_tokens).toBeGreaterThan(0);
    expect(reply.usage!.output_tokens).toBeGreaterThan(0);
    expect(reply.cost_micros).toBe(reply.usage!.input_tokens * 2 + reply.usage!.output_tokens * 10);
    const turn = await user.getTurn({ params: { chat_id: chat.id, turn_id: created.turn.id } });
    expect(turn.body.turn).toMatchObject({ status: 'completed', model_config_id: fast });
  });

  it('an unpriced model records null cost, not zero', async () => {
    const created = await startChat(user, 'price?', other);
    await settled(created.chat.id);
    const [, reply] = await messagesOf(created.chat.id);
    expect(reply!.cost_micros).toBeNull();
  });

  it('edit with a different model: the turn that follows runs on the new model', async () => {
    const created = await startChat(user, 'Question', fast);
    await settled(created.chat.id);
    const edited = await user.editMessage({
      params: { chat_id: created.chat.id, message_id: created.message.id },
      body: { content: 'Better question', model_config_id: other },
    });
    expect(edited.status).toBe(200);
    await settled(created.chat.id);
    const messages = await messagesOf(created.chat.id);
    expect(messages.map((m) => m.content)).toEqual([
      'Better question',
      mockReplyText('other-model', [{ role: 'user', content: 'Better question' }]),
    ]);
    expect(messages[1]!.model_config_id).toBe(other);
  });

  it('an edit while a slow turn runs supersedes it, and its reply never appears', async () => {
    const created = await startChat(user, 'slow one', slow);
    const chatId = created.chat.id;
    await eventually(
      async () =>
        (await user.getChat({ params: { chat_id: chatId } })).body.chat.status === 'running' ? true : undefined,
      {
        what: 'the slow turn to start',
      },
    );
    const edited = await user.editMessage({
      params: { chat_id: chatId, message_id: created.message.id },
      body: { content: 'fast instead', model_config_id: fast },
    });
    expect(edited.status).toBe(200);
    await settled(chatId);
    // The worker is done with the superseded turn's job: whatever its slow call was going to write,
    // it has tried by now.
    const queue = openTurnQueue(stack.prefix);
    try {
      const job = await finishedTurnJob(queue, created.turn.id);
      expect(job.returnvalue).toEqual({ outcome: 'superseded' });
    } finally {
      await queue.close();
    }
    const [old] = await stack.sql`select status from turns where id = ${created.turn.id}`;
    expect(old!.status).toBe('superseded');
    const messages = await messagesOf(chatId);
    expect(messages.map((m) => m.content)).toEqual([
      'fast instead',
      mockReplyText('fast-model', [{ role: 'user', content: 'fast instead' }]),
    ]);
    const [all] =
      await stack.sql`select count(*)::int as n from messages where chat_id = ${chatId} and role = 'assistant'`;
    expect(all!.n).toBe(1);
  });

  it('a model disabled after the turn was queued fails the turn with a readable error, and a later send recovers', async () => {
    const doomed = await createMockModel(stack.client, 'doomed-model');
    const created = await user.createChat({ body: { title: 'doomed', model_config_id: doomed } });
    const chatId = created.body.chat.id;
    await stack.sql`update model_configs set enabled = false where id = ${doomed}`;
    // Queue a turn on the now-disabled model behind the API's back (the API itself would refuse it).
    await stack.sql`select chatq_begin_turn(${chatId}, null, 'hello', ${doomed})`;
    const [turn] = await stack.sql`select id, generation from turns where chat_id = ${chatId}`;
    const queue = openTurnQueue(stack.prefix);
    try {
      await addTurnJobs(queue, [{ turn_id: turn!.id, chat_id: chatId, generation: Number(turn!.generation) }]);
    } finally {
      await queue.close();
    }

    const chat = await settled(chatId);
    expect(chat).toMatchObject({ status: 'error', last_error: 'model config is disabled or deleted' });
    const recovered = await user.sendMessage({
      params: { chat_id: chatId },
      body: { content: 'again', model_config_id: fast },
    });
    expect(recovered.status).toBe(201);
    expect((await settled(chatId)).status).toBe('idle');
  });
});

describe('the model a turn runs on', () => {
  // No worker until the test starts one: a queued turn stays queued for as long as the test likes.
  let held: TestStack;
  beforeAll(async () => {
    held = await startStack({ worker: false });
  });
  afterAll(() => held.close());

  it('the worker uses the chat’s current model, not the one the turn was queued with', async () => {
    const owner = await held.memberClient();
    const queuedWith = await createMockModel(held.client, 'queued-with-model');
    const current = await createMockModel(held.client, 'current-model');
    const { chat, turn } = await startChat(owner, 'which model?', queuedWith);
    expect(turn).toMatchObject({ status: 'queued', model_config_id: queuedWith });
    const queue = openTurnQueue(held.prefix);
    try {
      expect(await queue.getJobState(turnJobId(turn.id))).toBe('waiting');

      // Between the enqueue and the claim, the chat's model changes. No API call does that without
      // starting a turn of its own (an edit supersedes this one), so the test changes the row.
      await held.sql`update chats set last_model_config_id = ${current} where id = ${chat.id}`;
      held.startWorker();

      const job = await finishedTurnJob(queue, turn.id);
      expect(job.returnvalue).toEqual({ outcome: 'completed' });
    } finally {
      await queue.close();
    }
    expect((await settledChat(owner, chat.id)).status).toBe('idle');
    const [reply] = await assistantReplies(owner, chat.id);
    expect(reply!.content).toBe(mockReplyText('current-model', [{ role: 'user', content: 'which model?' }]));
    expect(reply!.model_config_id).toBe(current);
    const ran = (await owner.getTurn({ params: { chat_id: chat.id, turn_id: turn.id } })).body.turn;
    expect(ran).toMatchObject({ status: 'completed', model_config_id: current });
  });
});

describe('outbox', () => {
  it('a send while Redis is unreachable still succeeds, and the turn runs once Redis is back', async () => {
    // An API whose Redis is down (nothing listens on port 1) shares this stack's database; the
    // stack's worker, whose relay sees the committed turn, plays "Redis is back".
    const { loadApiConfig } = await import('@chatq/api/config.ts');
    const { createApiServer } = await import('@chatq/api/server.ts');
    const { createLogger } = await import('@chatq/platform');
    const cut = await createApiServer(
      loadApiConfig({ ...stack.env, REDIS_URL: 'redis://127.0.0.1:1', ENQUEUE_TIMEOUT_MS: '200' }),
      createLogger({ service: 'test', level: 'silent' }),
    );
    try {
      const address = await cut.app.listen({ port: 0, host: '127.0.0.1' });
      const client = new ChatqClient({ baseUrl: address, token: user.token });
      const started = Date.now();
      const created = await client.createChat({ body: { content: 'are you there?', model_config_id: fast } });
      expect(created.status).toBe(201);
      expect(Date.now() - started).toBeLessThan(5_000);
      const chat = await settled(created.body.chat.id);
      expect(chat.status).toBe('idle');
      const messages = await messagesOf(created.body.chat.id);
      expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    } finally {
      await cut.close();
    }
  });
});
