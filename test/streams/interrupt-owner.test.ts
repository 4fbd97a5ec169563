import { afterAll, beforeAll, expect, it } from 'vitest';
import { settledChat } from '../harness/chats.ts';
import { mockModel } from '../harness/models.ts';
import { SseClient } from '../harness/sse.ts';
import { startStack, type TestStack } from '../harness/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

it('another user’s interrupts of your streaming chat are 404 and leave your stream whole', async () => {
  const [owner, stranger] = [await stack.member(), await stack.member()];
  const model = await mockModel(stack.admin, 1_500);
  const chatId = (await owner.post('/api/v1/chats', { model_config_id: model })).body.chat.id as string;
  const stream = await SseClient.open(`${stack.baseUrl}/api/v1/chats/${chatId}/events`, owner.token);
  try {
    const { turn } = (await owner.post(`/api/v1/chats/${chatId}/messages`, { content: 'tell me' })).body;
    await stream.until((events) => events.some((e) => e.event === 'message.delta'), 'the reply to start streaming');

    // The stranger keeps trying for as long as the reply streams.
    const statuses = new Set<number>();
    const replied = () =>
      stream.events.some((e) => e.event === 'message.created' && e.data.message.role === 'assistant');
    while (!replied()) {
      const [interrupt, send] = await Promise.all([
        stranger.post(`/api/v1/chats/${chatId}/interrupt`),
        stranger.post(`/api/v1/chats/${chatId}/messages`, { content: 'mine now', busy_behavior: 'interrupt' }),
      ]);
      statuses.add(interrupt.status).add(send.status);
      expect(interrupt.body).toEqual({ message: 'Chat not found.' });
    }
    expect([...statuses]).toEqual([404]);

    await settledChat(owner, chatId);
    const messages = (await owner.get(`/api/v1/chats/${chatId}/messages`)).body.data;
    expect(messages.map((m: any) => m.role)).toEqual(['user', 'assistant']);
    const reply = messages[1];
    const streamed = stream
      .of('message.delta')
      .filter((e) => e.data.turn_id === turn.id)
      .map((e) => e.data.text)
      .join('');
    expect(streamed).toBe(reply.content);
  } finally {
    stream.close();
  }
});
