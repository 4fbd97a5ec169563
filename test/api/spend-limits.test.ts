import type { ChatqClient } from '@chatq/client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeWebhook, startFakeWebhook } from '../fakes/webhook.ts';
import { assistantReplies, settledChat, turnReaches } from '../harness/chats.ts';
import { createMockModel } from '../harness/models.ts';
import { openTurnQueue } from '../harness/queue.ts';
import { outcome, refusal } from '../harness/refusal.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

/*
 * Prices that make a reservation easy to predict: 1 micro per input token and 1,000 per output
 * token, with max_output_tokens 1,000, so a turn reserves 1,000,000 plus its few input tokens, while
 * the mock's short reply actually costs a few tens of thousands.
 */
const PRICED = { input_price_per_mtok: 1, output_price_per_mtok: 1000, max_output_tokens: 1000 };
const OUTPUT_RESERVE = 1_000_000;
/** The server default every user of the main stack gets: 7,000 dollars a day. */
const DEFAULT_MICROS = 7_000_000_000;

let models = 0;
const pricedModel = (admin: ChatqClient, extra = {}) =>
  createMockModel(admin, `priced-${++models}`, { ...PRICED, ...extra });

const idOf = async (client: ChatqClient) => (await client.getMe({})).body.user.id;
const limitsOf = async (client: ChatqClient) => (await client.getMyLimits({})).body;

/** The start of the next calendar UTC day and month. */
function nextUtc(now = new Date()) {
  return {
    day: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString(),
    month: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
  };
}

/** A member whose own limit is `amount_micros` per `period`. */
async function memberWithLimit(stack: TestStack, amount_micros: number, period: 'day' | 'month' = 'month') {
  const member = await stack.memberClient();
  const id = await idOf(member);
  await stack.client.updateUser({ params: { id }, body: { spend_limit: { amount_micros, period } } });
  return { member, id };
}

/** What the refusal counter of the API's /metrics reads. */
async function spendRefusals(stack: TestStack): Promise<number> {
  const text = await (await fetch(`${stack.baseUrl}/metrics`)).text();
  return Number(/^chatq_spend_refusals_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

/** The chat's turn jobs still in the queue (any state), other than `except`'s. */
async function otherJobsOfChat(stack: TestStack, chatId: string, except: string) {
  const queue = openTurnQueue(stack.prefix);
  try {
    const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed']);
    return jobs.filter((j) => j?.data.chat_id === chatId && j.data.turn_id !== except);
  } finally {
    await queue.close();
  }
}

/** What the user's assistant replies cost in total (the settled spend). */
async function repliesCost(member: ChatqClient, chatIds: string[]) {
  let sum = 0;
  for (const chatId of chatIds) {
    for (const m of await assistantReplies(member, chatId)) sum += m.cost_micros ?? 0;
  }
  return sum;
}

describe('spend limits', () => {
  let stack: TestStack;
  let admin: ChatqClient;
  let hook: FakeWebhook;

  beforeAll(async () => {
    hook = await startFakeWebhook();
    stack = await startStack({ env: { SPEND_LIMIT_MICROS: String(DEFAULT_MICROS), SPEND_LIMIT_PERIOD: 'day' } });
    admin = stack.client;
  });
  afterAll(async () => {
    await stack?.close();
    await hook?.close();
  });

  it('applies SPEND_LIMIT_MICROS per SPEND_LIMIT_PERIOD to users without a limit of their own', async () => {
    const member = await stack.memberClient();
    expect((await member.getMe({})).body.user.spend_limit).toBeNull();
    expect(await limitsOf(member)).toEqual({
      spend_limit: { amount_micros: DEFAULT_MICROS, period: 'day' },
      spent_micros: 0,
      reserved_micros: 0,
      resets_at: nextUtc().day,
    });
  });

  it('lets an admin set and remove a user’s limit, and refuses members with 403', async () => {
    const member = await stack.memberClient();
    const id = await idOf(member);

    const set = await admin.updateUser({
      params: { id },
      body: { spend_limit: { amount_micros: 2_500_000, period: 'month' } },
    });
    expect(set.body.user.spend_limit).toEqual({ amount_micros: 2_500_000, period: 'month' });
    expect(await limitsOf(member)).toMatchObject({
      spend_limit: { amount_micros: 2_500_000, period: 'month' },
      resets_at: nextUtc().month,
    });

    const denied = await refusal(
      member.updateUser({ params: { id }, body: { spend_limit: { amount_micros: 1e12, period: 'month' } } }),
    );
    expect(denied.status).toBe(403);
    expect((await member.getMe({})).body.user.spend_limit).toEqual({ amount_micros: 2_500_000, period: 'month' });

    const removed = await admin.updateUser({ params: { id }, body: { spend_limit: null } });
    expect(removed.body.user.spend_limit).toBeNull();
    expect((await limitsOf(member)).spend_limit).toEqual({ amount_micros: DEFAULT_MICROS, period: 'day' });

    const invalid = await refusal(
      admin.updateUser({ params: { id }, body: { spend_limit: { amount_micros: -1, period: 'week' as 'day' } } }),
    );
    expect(invalid.status).toBe(400);
  });

  it('shows a user’s limits to admins, refuses other members with 403, and answers 404 for no user', async () => {
    const { member, id } = await memberWithLimit(stack, 9_000_000, 'day');
    const other = await stack.memberClient();

    const read = await admin.getUserLimits({ params: { id } });
    expect(read.body).toEqual(await limitsOf(member));
    expect(read.body.spend_limit).toEqual({ amount_micros: 9_000_000, period: 'day' });
    expect((await refusal(other.getUserLimits({ params: { id } }))).status).toBe(403);
    expect((await member.getUserLimits({ params: { id } })).body.spend_limit).toEqual(read.body.spend_limit);
    const missing = await refusal(admin.getUserLimits({ params: { id: '0197a3b0-5d2e-7f30-9b4c-5d6e7f8a9b99' } }));
    expect(missing.status).toBe(404);
  });

  it('refuses a create, send or edit whose reservation does not fit with 402, and changes nothing', async () => {
    const model = await pricedModel(admin);
    const { member, id } = await memberWithLimit(stack, 1_500_000);
    const refusalsBefore = await spendRefusals(stack);

    // Fits once: the first turn reserves about 1,000,000 and settles for far less.
    const first = await member.createChat({ body: { content: 'hello', model_config_id: model } });
    const chatId = first.body.chat.id;
    await settledChat(member, chatId);
    const spent = (await limitsOf(member)).spent_micros;
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBe(await repliesCost(member, [chatId]));
    await admin.updateUser({
      params: { id },
      body: { spend_limit: { amount_micros: spent + 500_000, period: 'day' } },
    });
    const chatsBefore = (await member.listChats({ query: {} })).body.data.length;
    const messagesBefore = (await member.listMessages({ params: { chat_id: chatId }, query: {} })).body.data;

    const created = await refusal(member.createChat({ body: { content: 'again', model_config_id: model } }));
    expect({ status: created.status, body: created.body }).toEqual({
      status: 402,
      body: { message: 'Spend limit reached.' },
    });
    expect((await member.listChats({ query: {} })).body.data).toHaveLength(chatsBefore);

    const sent = await refusal(member.sendMessage({ params: { chat_id: chatId }, body: { content: 'more' } }));
    expect(sent.status).toBe(402);
    const edited = await refusal(
      member.editMessage({
        params: { chat_id: chatId, message_id: first.body.message!.id },
        body: { content: 'hello again' },
      }),
    );
    expect(edited.status).toBe(402);

    const after = await member.getChat({ params: { chat_id: chatId } });
    expect(after.body.chat.status).toBe('idle');
    expect((await member.listMessages({ params: { chat_id: chatId }, query: {} })).body.data).toEqual(messagesBefore);
    expect(await otherJobsOfChat(stack, chatId, first.body.turn!.id)).toEqual([]);
    expect(await limitsOf(member)).toMatchObject({ spent_micros: spent, reserved_micros: 0 });
    expect(await spendRefusals(stack)).toBe(refusalsBefore + 3);

    // A chat without content starts no turn and reserves nothing: it is not refused.
    const empty = await member.createChat({ body: { model_config_id: model } });
    expect(empty.status).toBe(201);
  });

  it('holds a turn’s reservation while it runs and replaces it with the actual cost when it completes', async () => {
    const model = await pricedModel(admin, { options: { latency_ms: 1500 } });
    const { member } = await memberWithLimit(stack, 10_000_000, 'day');

    const started = await member.createChat({ body: { content: 'hello', model_config_id: model } });
    const chatId = started.body.chat.id;
    // 'hello' is 2 estimated tokens, plus 4 for the message's framing, at 1 micro each.
    expect(await limitsOf(member)).toEqual({
      spend_limit: { amount_micros: 10_000_000, period: 'day' },
      spent_micros: 0,
      reserved_micros: OUTPUT_RESERVE + 6,
      resets_at: nextUtc().day,
    });

    await turnReaches(member, chatId, started.body.turn!.id, ['completed']);
    const [reply] = await assistantReplies(member, chatId);
    expect(reply!.cost_micros).toBeGreaterThan(0);
    expect(reply!.cost_micros).toBeLessThan(OUTPUT_RESERVE);
    expect(await limitsOf(member)).toMatchObject({ spent_micros: reply!.cost_micros, reserved_micros: 0 });
  });

  it('does not count the reservation of the live turn an interrupting send or an edit replaces', async () => {
    const model = await pricedModel(admin, { options: { latency_ms: 10_000 } });
    // Room for one reservation and a half: two at once would be refused.
    const { member } = await memberWithLimit(stack, 1.5 * OUTPUT_RESERVE, 'day');
    const started = await member.createChat({ body: { content: 'hello', model_config_id: model } });
    const chatId = started.body.chat.id;
    await turnReaches(member, chatId, started.body.turn!.id, ['running']);

    const queued = await refusal(member.sendMessage({ params: { chat_id: chatId }, body: { content: 'and?' } }));
    expect(queued.status).toBe(402);
    const interrupting = await member.sendMessage({
      params: { chat_id: chatId },
      body: { content: 'stop, then this', busy_behavior: 'interrupt' },
    });
    expect(interrupting.status).toBe(201);
    const edited = await member.editMessage({
      params: { chat_id: chatId, message_id: started.body.message!.id },
      body: { content: 'hello again' },
    });
    expect(edited.status).toBe(200);

    const limits = await limitsOf(member);
    expect(limits.reserved_micros).toBeGreaterThan(OUTPUT_RESERVE);
    expect(limits.reserved_micros).toBeLessThan(1.5 * OUTPUT_RESERVE);
    await member.interruptChat({ params: { chat_id: chatId } });
    expect(await limitsOf(member)).toMatchObject({ reserved_micros: 0 });
  });

  it('never refuses a turn on an unpriced model, even at a limit of 0', async () => {
    const unpriced = await createMockModel(admin, `unpriced-${++models}`);
    const { member } = await memberWithLimit(stack, 0, 'day');

    const created = await member.createChat({ body: { content: 'free?', model_config_id: unpriced } });
    await settledChat(member, created.body.chat.id);
    const sent = await member.sendMessage({ params: { chat_id: created.body.chat.id }, body: { content: 'again' } });
    expect(sent.status).toBe(201);
    await settledChat(member, created.body.chat.id);
    expect(await limitsOf(member)).toMatchObject({ spent_micros: 0, reserved_micros: 0 });

    const priced = await pricedModel(admin);
    expect((await refusal(member.createChat({ body: { content: 'paid', model_config_id: priced } }))).status).toBe(402);
  });

  it('ends an agent turn whose next step does not fit with finish_reason spend_limit, keeping its steps', async () => {
    const name = `lookup_${++models}`;
    const tool = await admin.createTool({
      body: {
        name,
        description: 'Looks something up.',
        input_schema: { type: 'object', properties: { q: { type: 'string' } } },
        kind: 'webhook',
        url: hook.url,
        signing_secret: 'whsec_test_0123456789abcdef',
      },
    });
    const model = await pricedModel(admin, { options: { tool_calls: [{ name, input: { q: 'x' } }] } });
    // The first step's reservation (about 1,000,010) fits; its cost plus the second's does not.
    const { member } = await memberWithLimit(stack, OUTPUT_RESERVE + 5_000, 'day');
    hook.received.length = 0;

    const { body } = await member.createChat({
      body: { content: 'look it up', model_config_id: model, tool_ids: [tool.body.tool.id] },
    });
    const chatId = body.chat.id;
    const turn = await turnReaches(member, chatId, body.turn!.id, ['completed', 'failed']);
    expect(turn).toMatchObject({ status: 'completed', steps: 1, finish_reason: 'spend_limit' });
    expect(hook.received).toHaveLength(1);

    const messages = (await member.listMessages({ params: { chat_id: chatId }, query: {} })).body.data;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(messages[1]!.parts![0]).toMatchObject({ type: 'tool_call', name });
    expect((await member.getChat({ params: { chat_id: chatId } })).body.chat.status).toBe('idle');
    expect(await limitsOf(member)).toMatchObject({ spent_micros: messages[1]!.cost_micros, reserved_micros: 0 });
  });
});

describe('a turn resumed after the caller’s tool outputs', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('reserves again before its next call, and ends with finish_reason spend_limit when that does not fit', async () => {
    const pick = { name: 'pick_date', input_schema: { type: 'object', properties: {} } };
    const model = await pricedModel(stack.client, { options: { tool_calls: [{ name: 'pick_date', input: {} }] } });
    const { member, id } = await memberWithLimit(stack, 3 * OUTPUT_RESERVE, 'day');
    const { body } = await member.createChat({
      body: { content: 'when shall we go?', model_config_id: model, client_tools: [pick] },
    });
    const chatId = body.chat.id;
    const waiting = await turnReaches(member, chatId, body.turn!.id, ['requires_action', 'completed', 'failed']);
    expect(waiting.status).toBe('requires_action');
    // The stored step settled its reservation: a waiting turn holds none.
    const spent = (await limitsOf(member)).spent_micros;
    expect(await limitsOf(member)).toMatchObject({ reserved_micros: 0 });
    expect(spent).toBeGreaterThan(0);

    await stack.client.updateUser({
      params: { id },
      body: { spend_limit: { amount_micros: spent + OUTPUT_RESERVE / 2, period: 'day' } },
    });
    const answered = await member.submitToolOutputs({
      params: { chat_id: chatId, turn_id: waiting.id },
      body: { outputs: [{ tool_call_id: waiting.pending_tool_calls![0]!.tool_call_id, output: '2025-07-01' }] },
    });
    expect(answered.status).toBe(200);

    const ended = await turnReaches(member, chatId, waiting.id, ['completed', 'failed']);
    expect(ended).toMatchObject({ status: 'completed', steps: 1, finish_reason: 'spend_limit' });
    const messages = (await member.listMessages({ params: { chat_id: chatId }, query: {} })).body.data;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(await limitsOf(member)).toMatchObject({ spent_micros: spent, reserved_micros: 0 });
  });
});

describe('reservations under concurrency (no worker until the sends are in)', () => {
  let stack: TestStack;
  let admin: ChatqClient;

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    admin = stack.client;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('accepts exactly 3 of 50 concurrent sends that fit 3 reservations, to separate chats and to one chat, and settles within the limit', async () => {
    const model = await pricedModel(admin);
    // 3.5 reservations of ~1,000,006 (separate chats) or a little more (one chat's growing history).
    const limit = 3.5 * OUTPUT_RESERVE;
    const apart = await memberWithLimit(stack, limit, 'day');
    const together = await memberWithLimit(stack, limit, 'day');

    const chats = await Promise.all(
      Array.from(
        { length: 50 },
        async () => (await apart.member.createChat({ body: { model_config_id: model } })).body.chat.id,
      ),
    );
    const one = (await together.member.createChat({ body: { model_config_id: model } })).body.chat.id;

    const [separate, same] = await Promise.all([
      Promise.all(
        chats.map((chatId) =>
          outcome(apart.member.sendMessage({ params: { chat_id: chatId }, body: { content: 'hello' } })),
        ),
      ),
      Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          outcome(together.member.sendMessage({ params: { chat_id: one }, body: { content: `hello ${i}` } })),
        ),
      ),
    ]);
    const statuses = (answers: { status: number }[]) => answers.map((a) => a.status).sort();
    expect(statuses(separate)).toEqual([...Array(3).fill(201), ...Array(47).fill(402)]);
    // One turn starts; two wait in the queue, each holding its reservation.
    expect(statuses(same)).toEqual([201, 202, 202, ...Array(47).fill(402)]);

    const apartReserved = (await limitsOf(apart.member)).reserved_micros;
    expect(apartReserved).toBe(3 * (OUTPUT_RESERVE + 6));
    expect((await limitsOf(together.member)).reserved_micros).toBeGreaterThan(3 * OUTPUT_RESERVE);
    expect((await limitsOf(together.member)).reserved_micros).toBeLessThanOrEqual(limit);

    stack.startWorker();
    for (const chatId of chats) await settledChat(apart.member, chatId);
    await eventually(async () => {
      const replies = await assistantReplies(together.member, one);
      return replies.length === 3 ? replies : undefined;
    });
    for (const { member } of [apart, together]) {
      const settled = await eventually(async () => {
        const limits = await limitsOf(member);
        return limits.reserved_micros === 0 ? limits : undefined;
      });
      expect(settled.spent_micros).toBeGreaterThan(0);
      expect(settled.spent_micros).toBeLessThanOrEqual(limit);
    }
    expect((await limitsOf(apart.member)).spent_micros).toBe(await repliesCost(apart.member, chats));
    expect((await limitsOf(together.member)).spent_micros).toBe(await repliesCost(together.member, [one]));
  });
});

describe('a turn that fails before any call (no worker until it is set up)', () => {
  let stack: TestStack;

  // A stack each: the worker starts once the test has set the turn up.
  beforeEach(async () => {
    stack = await startStack({ worker: false });
  });
  afterEach(async () => {
    await stack?.close();
  });

  it('fails with "Spend limit reached." when its owner’s limit was set after it was queued and its call does not fit', async () => {
    const model = await pricedModel(stack.client);
    const member = await stack.memberClient();
    const id = await idOf(member);
    // No limit when it is sent: nothing is reserved, so the worker reserves before the call.
    const { body } = await member.createChat({ body: { content: 'hello', model_config_id: model } });
    expect((await limitsOf(member)).reserved_micros).toBe(0);
    await stack.client.updateUser({ params: { id }, body: { spend_limit: { amount_micros: 1000, period: 'day' } } });

    stack.startWorker();
    const turn = await turnReaches(member, body.chat.id, body.turn!.id, ['failed', 'completed']);
    expect(turn).toMatchObject({
      status: 'failed',
      error: 'Spend limit reached.',
      finish_reason: 'spend_limit',
      steps: 0,
    });
    const chat = (await member.getChat({ params: { chat_id: body.chat.id } })).body.chat;
    expect(chat).toMatchObject({ status: 'error', last_error: 'Spend limit reached.' });
    expect(await assistantReplies(member, body.chat.id)).toEqual([]);
    expect(await limitsOf(member)).toMatchObject({ spent_micros: 0, reserved_micros: 0 });
  });

  it('releases its reservation and spends nothing', async () => {
    const model = await pricedModel(stack.client);
    const { member } = await memberWithLimit(stack, 5 * OUTPUT_RESERVE, 'month');
    const { body } = await member.createChat({ body: { content: 'hello', model_config_id: model } });
    expect((await limitsOf(member)).reserved_micros).toBe(OUTPUT_RESERVE + 6);

    // The claim finds the model disabled and fails the turn without calling it.
    await stack.client.updateModelConfig({ params: { id: model }, body: { enabled: false } });
    stack.startWorker();
    const turn = await turnReaches(member, body.chat.id, body.turn!.id, ['failed', 'completed']);
    expect(turn.status).toBe('failed');
    expect(await limitsOf(member)).toEqual({
      spend_limit: { amount_micros: 5 * OUTPUT_RESERVE, period: 'month' },
      spent_micros: 0,
      reserved_micros: 0,
      resets_at: nextUtc().month,
    });
  });
});
