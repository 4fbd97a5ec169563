import type { ChatqClient } from '@chatq/client';
import { createCompatibleModel } from '../harness/models.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../fakes/openai.ts';
import { DEFAULT_REPLY, type FakeProvider } from '../fakes/server.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

let stack: TestStack;
let fake: FakeProvider;
let member: ChatqClient;
let modelId: string;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  stack = await startStack();
  member = await stack.memberClient();
  modelId = await createCompatibleModel(stack.client, 'slow-compatible', fake.origin, 'slow-model');
});
afterAll(async () => {
  await stack.close();
  await fake.close();
});

describe('a provider call of a superseded turn', () => {
  it('is aborted within a second of the edit: the provider sees the connection close', async () => {
    fake.script({ hang: true });
    const created = await member.createChat({ body: { content: 'take your time', model_config_id: modelId } });
    const chatId = created.body.chat.id;
    const call = await eventually(async () => fake.received[0], { what: 'the provider call to start' });

    const editedAt = Date.now();
    const edited = await member.editMessage({
      params: { chat_id: chatId, message_id: created.body.message!.id },
      body: { content: 'never mind, quick one' },
    });
    expect(edited.status).toBe(200);

    const closedAt = await eventually(async () => call.closedAt, { what: 'the provider connection to close' });
    expect(closedAt - editedAt).toBeLessThan(1_000);

    const reply = await eventually(
      async () => {
        const messages = (await member.listMessages({ params: { chat_id: chatId } })).body.data;
        return messages.length === 2 ? messages : undefined;
      },
      { what: 'the edited turn to answer' },
    );
    expect(reply.map((m) => m.content)).toEqual(['never mind, quick one', DEFAULT_REPLY.join('')]);
    expect(fake.received[1]!.messages.at(-1)).toEqual({ role: 'user', content: 'never mind, quick one' });
  });
});
