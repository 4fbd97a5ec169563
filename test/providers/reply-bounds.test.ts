import type { ChatqClient } from '@chatq/client';
import { createCompatibleModel } from '../harness/models.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../fakes/openai.ts';
import type { FakeProvider } from '../fakes/server.ts';
import { settledChat } from '../harness/chats.ts';
import { startStack, type TestStack } from '../harness/stack.ts';

/** Replies longer than this fail; small, so an endless stream reaches it in milliseconds. */
const MAX_REPLY_CHARS = 10_000;

describe('replies a provider never stops sending', () => {
  let stack: TestStack;
  let fake: FakeProvider;
  let member: ChatqClient;
  let modelId: string;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    stack = await startStack({
      env: {
        MAX_REPLY_CHARS: String(MAX_REPLY_CHARS),
        PROVIDER_TIMEOUT_MS: '1000',
        WORKER_RETRY_BASE_MS: '20',
      },
    });
    member = await stack.memberClient();
    modelId = await createCompatibleModel(stack.client, 'endless', fake.origin);
  });
  afterAll(async () => {
    await stack.close();
    await fake.close();
  });

  const settle = async (content: string) => {
    const created = await member.createChat({ body: { content, model_config_id: modelId } });
    expect(created.status).toBe(201);
    return settledChat(member, created.body.chat.id);
  };

  it('stops an endless stream at MAX_REPLY_CHARS and fails the turn without a retry', async () => {
    const before = fake.received.length;
    fake.script({ flood: 'tok ' });
    const chat = await settle('never stop');
    expect(chat).toMatchObject({ status: 'error', last_error: `reply exceeded ${MAX_REPLY_CHARS} characters` });
    const calls = fake.received.slice(before);
    expect(calls).toHaveLength(1);
    // The worker hung up: the fake did not get to stream on until the timeout.
    expect(calls[0]!.closedAt).toBeDefined();
    const messages = (await member.listMessages({ params: { chat_id: chat.id } })).body.data;
    expect(messages.map((m) => m.role)).toEqual(['user']);
  });

  it('cuts a slow endless stream off at PROVIDER_TIMEOUT_MS, once per attempt', async () => {
    const attempts = 5; // WORKER_MAX_TURN_ATTEMPTS' default
    const before = fake.received.length;
    fake.script(...Array.from({ length: attempts }, () => ({ flood: 'tok ', everyMs: 50 })));
    const chat = await settle('slowly, forever');
    expect(chat).toMatchObject({
      status: 'error',
      last_error: `provider call timed out; gave up after ${attempts} attempts (retries and lost workers)`,
    });
    expect(fake.received.length - before).toBe(attempts);
  });
});
