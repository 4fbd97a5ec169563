import type { ChatqClient } from '@chatq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeWebhook, startFakeWebhook } from '../fakes/webhook.ts';
import { turnReaches } from '../harness/chats.ts';
import { createMockModel } from '../harness/models.ts';
import { refusal } from '../harness/refusal.ts';
import { SseClient } from '../harness/sse.ts';
import { ADMIN_TOKEN, startStack, type TestStack } from '../harness/stack.ts';

let stack: TestStack;
let client: ChatqClient;
let hook: FakeWebhook;
let n = 0;

beforeAll(async () => {
  hook = await startFakeWebhook();
  hook.answer(() => ({ json: { booked: true } }));
  stack = await startStack();
  client = stack.client;
});
afterAll(async () => {
  await stack.close();
  await hook.close();
});

/** A chat whose model calls a webhook tool that needs approval; waits until the turn asks. */
async function gatedTurn() {
  const name = `book_table_${++n}`;
  const tool = await client.createTool({
    body: {
      name,
      description: 'Books a table.',
      input_schema: { type: 'object' },
      kind: 'webhook',
      url: hook.url,
      requires_approval: true,
    },
  });
  const modelId = await createMockModel(client, `gated-${n}`, {
    options: { tool_calls: [{ name, input: { seats: 2 } }] },
  });
  const { body } = await client.createChat({
    body: { content: 'book us a table', model_config_id: modelId, tool_ids: [tool.body.tool.id] },
  });
  const chatId = body.chat.id;
  const turnId = body.turn!.id;
  const waiting = await turnReaches(client, chatId, turnId, ['awaiting_approval', 'completed', 'failed']);
  return { name, chatId, turnId, messageId: body.message!.id, waiting };
}

const callsOf = (turnId: string) => hook.received.filter((r) => r.body.turn_id === turnId);

describe('a call of a tool that requires approval', () => {
  it('waits in awaiting_approval without running; approved, it runs and the turn goes on', async () => {
    const { name, chatId, turnId, waiting } = await gatedTurn();
    expect(waiting).toMatchObject({
      status: 'awaiting_approval',
      pending_tool_calls: [{ tool_call_id: expect.any(String), name, input: { seats: 2 } }],
    });
    expect((await client.getChat({ params: { chat_id: chatId } })).body.chat.status).toBe('awaiting_approval');
    const events = await SseClient.open(`${stack.baseUrl}/api/v1/chats/${chatId}/events?after=0`, ADMIN_TOKEN);
    await events.until((e) => e.some((x) => x.event === 'turn.approval_requested'), 'turn.approval_requested');
    events.close();
    expect(callsOf(turnId)).toHaveLength(0);

    const callId = waiting.pending_tool_calls![0]!.tool_call_id;
    const unknown = await refusal(
      client.decideApprovals({
        params: { chat_id: chatId, turn_id: turnId },
        body: { decisions: [{ tool_call_id: 'nope', approve: true }] },
      }),
    );
    expect(unknown).toMatchObject({ status: 400, body: { message: 'Unknown tool call ID.' } });

    const decided = await client.decideApprovals({
      params: { chat_id: chatId, turn_id: turnId },
      body: { decisions: [{ tool_call_id: callId, approve: true }] },
    });
    expect(decided.body.turn.status).toBe('queued');
    expect(await turnReaches(client, chatId, turnId, ['completed', 'failed'])).toMatchObject({ status: 'completed' });
    expect(callsOf(turnId)).toHaveLength(1);
    const reply = (await client.listMessages({ params: { chat_id: chatId }, query: {} })).body.data.at(-1)!;
    expect(reply.content).toContain(`${name} returned {"booked":true}`);
  });

  it('denied, never runs: the model reads "denied by the user" with the reason', async () => {
    const { name, chatId, turnId, waiting } = await gatedTurn();
    const callId = waiting.pending_tool_calls![0]!.tool_call_id;
    await client.decideApprovals({
      params: { chat_id: chatId, turn_id: turnId },
      body: { decisions: [{ tool_call_id: callId, approve: false, reason: 'too expensive' }] },
    });
    await turnReaches(client, chatId, turnId, ['completed', 'failed']);
    expect(callsOf(turnId)).toHaveLength(0);
    const messages = (await client.listMessages({ params: { chat_id: chatId }, query: {} })).body.data;
    expect(messages[2]!.parts).toEqual([
      { type: 'tool_result', tool_call_id: callId, name, output: 'denied by the user: too expensive', is_error: true },
    ]);
    expect(messages[3]!.content).toContain(`${name} returned "denied by the user: too expensive"`);

    const late = await refusal(
      client.decideApprovals({
        params: { chat_id: chatId, turn_id: turnId },
        body: { decisions: [{ tool_call_id: callId, approve: true }] },
      }),
    );
    expect(late).toMatchObject({ status: 409, body: { message: 'Turn is not awaiting approval.' } });
  });

  it('is superseded by an edit while it waits: the call never runs', async () => {
    const { chatId, turnId, messageId } = await gatedTurn();
    const edited = await client.editMessage({
      params: { chat_id: chatId, message_id: messageId },
      body: { content: 'no table after all' },
    });
    expect((await client.getTurn({ params: { chat_id: chatId, turn_id: turnId } })).body.turn.status).toBe(
      'superseded',
    );
    // The edited turn asks again (the same model); the superseded one has nothing left to decide.
    await turnReaches(client, chatId, edited.body.turn.id, ['awaiting_approval']);
    expect(callsOf(turnId)).toHaveLength(0);
  });
});
