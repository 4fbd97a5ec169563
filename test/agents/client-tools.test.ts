import type { ChatqClient } from '@chatq/client';
import { turnJobId } from '@chatq/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeWebhook, startFakeWebhook } from '../fakes/webhook.ts';
import { turnReaches } from '../harness/chats.ts';
import { openTurnQueue } from '../harness/queue.ts';
import { createMockModel } from '../harness/models.ts';
import { refusal } from '../harness/refusal.ts';
import { SseClient } from '../harness/sse.ts';
import { ADMIN_TOKEN, startStack, type TestStack } from '../harness/stack.ts';

const PICK_DATE = { name: 'pick_date', input_schema: { type: 'object', properties: { earliest: { type: 'string' } } } };
const PICK_INPUT = { earliest: '2025-07-01' };

let stack: TestStack;
let client: ChatqClient;
let hook: FakeWebhook;
let models = 0;

beforeAll(async () => {
  hook = await startFakeWebhook();
  stack = await startStack();
  client = stack.client;
});
afterAll(async () => {
  await stack.close();
  await hook.close();
});

/** A chat whose mock model calls `calls` in its first step, offering the client tool pick_date. */
async function chatCalling(calls: { name: string; input: unknown }[], toolIds: string[] = []) {
  const modelId = await createMockModel(client, `client-tools-${++models}`, { options: { tool_calls: calls } });
  const { body } = await client.createChat({
    body: { content: 'when shall we go?', model_config_id: modelId, client_tools: [PICK_DATE], tool_ids: toolIds },
  });
  return { chatId: body.chat.id, turnId: body.turn!.id, messageId: body.message!.id };
}

const outputsParams = (chatId: string, turnId: string) => ({ chat_id: chatId, turn_id: turnId });

describe('a turn that calls a client tool', () => {
  it('waits in requires_action with the pending call, and goes on once the caller sends its output', async () => {
    const { chatId, turnId } = await chatCalling([{ name: 'pick_date', input: PICK_INPUT }]);
    const events = await SseClient.open(`${stack.baseUrl}/api/v1/chats/${chatId}/events?after=0`, ADMIN_TOKEN);
    const waiting = await turnReaches(client, chatId, turnId, ['requires_action', 'completed', 'failed']);
    expect(waiting).toMatchObject({
      status: 'requires_action',
      steps: 1,
      finish_reason: 'tool_calls',
      pending_tool_calls: [{ tool_call_id: expect.any(String), name: 'pick_date', input: PICK_INPUT }],
    });
    const callId = waiting.pending_tool_calls![0]!.tool_call_id;
    expect((await client.getChat({ params: { chat_id: chatId } })).body.chat.status).toBe('requires_action');
    await events.until((e) => e.some((x) => x.event === 'turn.requires_action'), 'turn.requires_action');
    expect(events.events.find((e) => e.event === 'turn.requires_action')!.data).toEqual({
      chat_id: chatId,
      turn_id: turnId,
      tool_call_id: callId,
      name: 'pick_date',
      input: PICK_INPUT,
    });

    const huge = await refusal(
      client.submitToolOutputs({
        params: outputsParams(chatId, turnId),
        body: {
          outputs: [{ tool_call_id: callId, output: 'x'.repeat(70_000) }],
        },
      }),
    );
    expect(huge.status).toBe(400);
    const unknown = await refusal(
      client.submitToolOutputs({
        params: outputsParams(chatId, turnId),
        body: { outputs: [{ tool_call_id: 'nope', output: 1 }] },
      }),
    );
    expect(unknown).toMatchObject({ status: 400, body: { message: 'Unknown tool call ID.' } });

    const answered = await client.submitToolOutputs({
      params: { chat_id: chatId, turn_id: turnId },
      body: { outputs: [{ tool_call_id: callId, output: { date: '2025-07-04' } }] },
    });
    expect(answered.body.turn).toMatchObject({ id: turnId, status: 'queued' });
    expect(answered.body.turn).not.toHaveProperty('pending_tool_calls');

    const done = await turnReaches(client, chatId, turnId, ['completed', 'failed']);
    expect(done).toMatchObject({ status: 'completed', steps: 2, finish_reason: 'stop' });
    const messages = (await client.listMessages({ params: { chat_id: chatId }, query: {} })).body.data;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(messages[3]!.content).toContain('pick_date returned {"date":"2025-07-04"}');
    await events.until((e) => e.some((x) => x.event === 'tool.result'), 'tool.result');
    expect(events.events.find((e) => e.event === 'tool.result')!.data).toMatchObject({
      tool_call_id: callId,
      name: 'pick_date',
      output: { date: '2025-07-04' },
      is_error: false,
    });
    events.close();

    const late = await refusal(
      client.submitToolOutputs({
        params: outputsParams(chatId, turnId),
        body: { outputs: [{ tool_call_id: callId, output: 1 }] },
      }),
    );
    expect(late).toMatchObject({ status: 409, body: { message: 'Turn is not waiting for tool outputs.' } });
  });

  it('keeps waiting until every pending call has an output; an error output reaches the model as one', async () => {
    const { chatId, turnId } = await chatCalling([
      { name: 'pick_date', input: { earliest: 'a' } },
      { name: 'pick_date', input: { earliest: 'b' } },
    ]);
    const waiting = await turnReaches(client, chatId, turnId, ['requires_action']);
    const [a, b] = waiting.pending_tool_calls!;
    const params = { chat_id: chatId, turn_id: turnId };

    const half = await client.submitToolOutputs({
      params,
      body: { outputs: [{ tool_call_id: a!.tool_call_id, output: 'x' }] },
    });
    expect(half.body.turn).toMatchObject({ status: 'requires_action', pending_tool_calls: [b] });
    const again = await refusal(
      client.submitToolOutputs({
        params: outputsParams(chatId, turnId),
        body: {
          outputs: [{ tool_call_id: a!.tool_call_id, output: 'y' }],
        },
      }),
    );
    expect(again).toMatchObject({ status: 400, body: { message: 'Unknown tool call ID.' } });

    await client.submitToolOutputs({
      params,
      body: { outputs: [{ tool_call_id: b!.tool_call_id, output: 'calendar closed', is_error: true }] },
    });
    await turnReaches(client, chatId, turnId, ['completed']);
    const results = (await client.listMessages({ params: { chat_id: chatId }, query: {} })).body.data.filter(
      (m) => m.role === 'tool',
    );
    expect(results.map((m) => m.parts![0])).toEqual([
      { type: 'tool_result', tool_call_id: a!.tool_call_id, name: 'pick_date', output: 'x', is_error: false },
      {
        type: 'tool_result',
        tool_call_id: b!.tool_call_id,
        name: 'pick_date',
        output: 'calendar closed',
        is_error: true,
      },
    ]);
  });

  it('runs the webhook calls of the step first, then waits for the client ones', async () => {
    hook.answer(() => ({ json: { temperature_c: 21 } }));
    const tool = await client.createTool({
      body: {
        name: 'weather_first',
        description: 'Weather.',
        input_schema: { type: 'object' },
        kind: 'webhook',
        url: hook.url,
      },
    });
    const { chatId, turnId } = await chatCalling(
      [
        { name: 'pick_date', input: PICK_INPUT },
        { name: 'weather_first', input: { city: 'Faro' } },
      ],
      [tool.body.tool.id],
    );
    const waiting = await turnReaches(client, chatId, turnId, ['requires_action']);
    expect(waiting.pending_tool_calls!.map((c) => c.name)).toEqual(['pick_date']);
    expect(hook.received.filter((r) => r.body.turn_id === turnId)).toHaveLength(1);
    const stored = (await client.listMessages({ params: { chat_id: chatId }, query: {} })).body.data;
    expect(stored.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
  });

  it('is run by the outbox relay under its resumed job id when the job of its resumption is lost', async () => {
    const { chatId, turnId } = await chatCalling([{ name: 'pick_date', input: PICK_INPUT }]);
    const waiting = await turnReaches(client, chatId, turnId, ['requires_action']);
    const queue = openTurnQueue(stack.prefix);
    try {
      // The first run's job stays kept as completed under turn-<id>: re-adding that id is a no-op.
      expect(await (await queue.getJob(turnJobId(turnId)))?.isCompleted()).toBe(true);
      await queue.pause();
      await client.submitToolOutputs({
        params: outputsParams(chatId, turnId),
        body: { outputs: [{ tool_call_id: waiting.pending_tool_calls![0]!.tool_call_id, output: 'any day' }] },
      });
      // Redis loses the resumption's job before any worker took it.
      const resumed = await queue.getJob(turnJobId(turnId, 1));
      expect(resumed).toBeDefined();
      await resumed!.remove();
      await queue.resume();
      await turnReaches(client, chatId, turnId, ['completed'], 15_000);
    } finally {
      await queue.resume();
      await queue.close();
    }
  });

  it('is superseded by an edit while it waits, and cancelled by an interrupt', async () => {
    const first = await chatCalling([{ name: 'pick_date', input: PICK_INPUT }]);
    const waiting = await turnReaches(client, first.chatId, first.turnId, ['requires_action']);
    const edited = await client.editMessage({
      params: { chat_id: first.chatId, message_id: first.messageId },
      body: { content: 'never mind' },
    });
    expect((await client.getTurn({ params: { chat_id: first.chatId, turn_id: first.turnId } })).body.turn.status).toBe(
      'superseded',
    );
    const late = await refusal(
      client.submitToolOutputs({
        params: outputsParams(first.chatId, first.turnId),
        body: {
          outputs: [{ tool_call_id: waiting.pending_tool_calls![0]!.tool_call_id, output: 1 }],
        },
      }),
    );
    expect(late.status).toBe(409);
    // The edited turn calls the tool again (the same model), and waits in turn.
    await turnReaches(client, first.chatId, edited.body.turn.id, ['requires_action']);

    await client.interruptChat({ params: { chat_id: first.chatId } });
    expect(
      (await client.getTurn({ params: { chat_id: first.chatId, turn_id: edited.body.turn.id } })).body.turn.status,
    ).toBe('cancelled');
    expect((await client.getChat({ params: { chat_id: first.chatId } })).body.chat.status).toBe('idle');
  });
});
