import { afterAll, beforeAll, expect, it } from 'vitest';
import { settledChat } from '../harness/chats.ts';
import { mockModel } from '../harness/models.ts';
import { outcome } from '../harness/refusal.ts';
import { SseClient } from '../harness/sse.ts';
import { startStack, type TestStack } from '../harness/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

it('another user’s interrupts of your streaming chat are 404 and leave your stream whole', async () => {
  const [owner, stranger] = [await stack.memberClient(), await stack.memberClient()];
  const model = await mockModel(stack.client, 1_500);
  const { chat } = (await owner.createChat({ body: { model_config_id: model } })).body;
  const stream = await SseClient.open(`${stack.baseUrl}/api/v1/chats/${chat.id}/events`, owner.token);
  try {
    const sent = await owner.sendMessage({ params: { chat_id: chat.id }, body: { content: 'tell me' } });
    if (sent.status !== 201) throw new Error('the first send of an idle chat starts a turn');
    const { turn } = sent.body;
    await stream.until((events) => events.some((e) => e.event === 'message.delta'), 'the reply to start streaming');

    // The stranger keeps trying for as long as the reply streams.
    const statuses = new Set<number>();
    const replied = () =>
      stream.events.some((e) => e.event === 'message.created' && e.data.message.role === 'assistant');
    while (!replied()) {
      const [interrupt, send] = await Promise.all([
        outcome(stranger.interruptChat({ params: { chat_id: chat.id } })),
        outcome(
          stranger.sendMessage({
            params: { chat_id: chat.id },
            body: { content: 'mine now', busy_behavior: 'interrupt' },
          }),
        ),
      ]);
      statuses.add(interrupt.status).add(send.status);
      expect('body' in interrupt && interrupt.body).toEqual({ message: 'Chat not found.' });
    }
    expect([...statuses]).toEqual([404]);

    await settledChat(owner, chat.id);
    const messages = (await owner.listMessages({ params: { chat_id: chat.id } })).body.data;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    const reply = messages[1]!;
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
