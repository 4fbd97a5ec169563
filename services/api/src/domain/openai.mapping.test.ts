import { openAIErrorOf, type Message, type Turn } from '@chatq/contracts';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from './errors.ts';
import {
  callOptionsOf,
  chatCompletionOf,
  chatFinishReason,
  chatIdOf,
  continuationOf,
  conversationIdOf,
  historyOfChat,
  historyOfInput,
  itemsOf,
  messageIdOfItem,
  responseIdOf,
  responseStatusOf,
  turnIdOf,
} from './openai.mapping.ts';

const TURN_ID = '0197a3c2-5b1e-7c4d-9f00-2a6b8c1d3e04';
const CHAT_ID = '0197a3c2-5b1e-7c4d-9f00-2a6b8c1d3e05';
const MESSAGE_ID = '0197a3c2-5b1e-7c4d-9f00-2a6b8c1d3e06';
const AT = '2025-06-15T12:00:00.000Z';

const turn = (fields: Partial<Turn> = {}): Turn => ({
  id: TURN_ID,
  chat_id: CHAT_ID,
  generation: 1,
  status: 'completed',
  model_config_id: 'model-1',
  steps: 1,
  created_at: AT,
  ...fields,
});

const reply = (fields: Partial<Message> = {}): Message => ({
  id: MESSAGE_ID,
  chat_id: CHAT_ID,
  role: 'assistant',
  content: 'Hello!',
  model_config_id: 'model-1',
  created_at: AT,
  usage: { input_tokens: 10, output_tokens: 3 },
  ...fields,
});

describe('ids', () => {
  it('derive responses from turns and conversations from chats, and back', () => {
    expect(responseIdOf(TURN_ID)).toBe('resp_0197a3c25b1e7c4d9f002a6b8c1d3e04');
    expect(turnIdOf(responseIdOf(TURN_ID))).toBe(TURN_ID);
    expect(chatIdOf(conversationIdOf(CHAT_ID))).toBe(CHAT_ID);
    expect(messageIdOfItem('msg_0197a3c25b1e7c4d9f002a6b8c1d3e06')).toBe(MESSAGE_ID);
    expect(messageIdOfItem('fc_0197a3c25b1e7c4d9f002a6b8c1d3e06_call_1')).toBe(MESSAGE_ID);
    expect(messageIdOfItem('item_1')).toBeUndefined();
  });
});

describe('historyOfChat', () => {
  it('turns system messages into the prompt and tool calls and results into parts', () => {
    const { system, history } = historyOfChat([
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: [{ type: 'text', text: 'No emoji.' }] },
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Porto"}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
    ]);
    expect(system).toBe('Be brief.\n\nNo emoji.');
    expect(history).toEqual([
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: '',
        parts: [{ type: 'tool_call', tool_call_id: 'c1', name: 'get_weather', input: { city: 'Porto' } }],
      },
      {
        role: 'tool',
        content: '',
        parts: [{ type: 'tool_result', tool_call_id: 'c1', name: 'get_weather', output: 'sunny', is_error: false }],
      },
    ]);
  });

  it.each([
    ['only a system message', [{ role: 'system' as const, content: 'x' }]],
    [
      'an assistant message last',
      [
        { role: 'user' as const, content: 'a' },
        { role: 'assistant' as const, content: 'b' },
      ],
    ],
  ])('refuses %s with a 400 naming messages', (_, messages) => {
    const err = (() => {
      try {
        historyOfChat(messages);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).validations).toEqual([
      { field: 'body.messages', detail: 'must end with a user message or tool results' },
    ]);
  });
});

describe('historyOfInput', () => {
  it('reads a string as one user message and keeps instructions first', () => {
    expect(historyOfInput('hi', 'Be kind.')).toEqual({
      system: 'Be kind.',
      history: [{ role: 'user', content: 'hi' }],
    });
  });

  it('replays function calls and their outputs', () => {
    const { history } = historyOfInput(
      [
        { role: 'user', content: [{ type: 'input_text', text: 'time?' }] },
        { type: 'function_call', call_id: 'c1', name: 'now', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: '12:00' },
      ],
      null,
    );
    expect(history.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(history[2]!.parts).toEqual([
      { type: 'tool_result', tool_call_id: 'c1', name: 'now', output: '12:00', is_error: false },
    ]);
  });
});

describe('continuationOf', () => {
  it.each([
    ['a string', 'more', { kind: 'message', content: 'more' }],
    ['one user message', [{ role: 'user' as const, content: 'more' }], { kind: 'message', content: 'more' }],
    [
      'call outputs',
      [{ type: 'function_call_output' as const, call_id: 'c1', output: 'x' }],
      { kind: 'outputs', outputs: [{ tool_call_id: 'c1', output: 'x' }] },
    ],
    ['an assistant message', [{ role: 'assistant' as const, content: 'x' }], undefined],
    [
      'two user messages',
      [
        { role: 'user' as const, content: 'a' },
        { role: 'user' as const, content: 'b' },
      ],
      undefined,
    ],
  ])('reads %s', (_, input, expected) => {
    expect(continuationOf(input)).toEqual(expected);
  });
});

describe('callOptionsOf', () => {
  it('keeps the settings sent, max_completion_tokens over max_tokens', () => {
    expect(
      callOptionsOf({ temperature: 0, top_p: null, stop: ['\n'], max_tokens: 50, max_completion_tokens: 20 }),
    ).toEqual({ temperature: 0, stop: ['\n'], max_output_tokens: 20 });
  });
});

describe('statuses and finish reasons', () => {
  it.each([
    ['queued', undefined, 'queued'],
    ['running', undefined, 'in_progress'],
    ['requires_action', 'tool_calls', 'completed'],
    ['completed', 'stop', 'completed'],
    ['completed', 'length', 'incomplete'],
    ['completed', 'spend_limit', 'incomplete'],
    ['failed', 'error', 'failed'],
    ['cancelled', undefined, 'cancelled'],
    ['superseded', undefined, 'cancelled'],
  ] as const)('a %s turn (%s) is a %s response', (status, reason, expected) => {
    expect(responseStatusOf(status, reason)).toBe(expected);
  });

  it.each([
    ['requires_action', 'tool_calls', 'tool_calls'],
    ['completed', 'stop', 'stop'],
    ['completed', 'max_steps', 'length'],
    ['completed', 'spend_limit', 'length'],
    ['completed', 'content_filter', 'content_filter'],
    ['cancelled', undefined, 'stop'],
  ] as const)('a %s turn (%s) finishes a chat completion with %s', (status, reason, expected) => {
    expect(chatFinishReason(status, reason)).toBe(expected);
  });
});

describe('chatCompletionOf', () => {
  it('answers the text of every step and the usage summed over them', () => {
    const completion = chatCompletionOf(turn(), [
      reply({ content: 'Let me check. ', usage: { input_tokens: 5, output_tokens: 2 } }),
      reply({ content: 'Sunny.' }),
    ]);
    expect(completion.choices[0]!.message).toEqual({
      role: 'assistant',
      content: 'Let me check. Sunny.',
      refusal: null,
    });
    expect(completion.usage).toEqual({ prompt_tokens: 15, completion_tokens: 5, total_tokens: 20 });
    expect(completion.created).toBe(Date.parse(AT) / 1000);
  });

  it('answers the calls a waiting turn asks for, with null content', () => {
    const completion = chatCompletionOf(turn({ status: 'requires_action', finish_reason: 'tool_calls' }), [
      reply({ content: '', parts: [{ type: 'tool_call', tool_call_id: 'c1', name: 'f', input: { a: 1 } }] }),
    ]);
    expect(completion.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      },
    });
  });
});

describe('itemsOf', () => {
  it('lists messages, function calls and their outputs as items', () => {
    const items = itemsOf([
      reply({ role: 'user', content: 'time?', usage: undefined }),
      reply({ content: '', parts: [{ type: 'tool_call', tool_call_id: 'c1', name: 'now', input: {} }] }),
      reply({
        role: 'tool',
        content: '',
        parts: [{ type: 'tool_result', tool_call_id: 'c1', name: 'now', output: { t: 12 }, is_error: false }],
      }),
    ]);
    expect(items.map((i) => i.type)).toEqual(['message', 'function_call', 'function_call_output']);
    expect(items[2]).toMatchObject({ call_id: 'c1', output: '{"t":12}' });
  });
});

describe('openAIErrorOf', () => {
  it.each([
    [
      404,
      { message: 'Model not found.', detail: 'No model.' },
      { message: 'Model not found. No model.', type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
    ],
    [
      400,
      { message: 'Invalid request.', validations: [{ field: 'body.logprobs', detail: 'is not a known field' }] },
      {
        message: "Unsupported parameter: 'logprobs'.",
        type: 'invalid_request_error',
        param: 'logprobs',
        code: 'unsupported_parameter',
      },
    ],
    [
      400,
      { message: 'Invalid request.', validations: [{ field: 'body.n', detail: 'Invalid input: expected 1' }] },
      {
        message: 'Invalid request. n Invalid input: expected 1',
        type: 'invalid_request_error',
        param: 'n',
        code: null,
      },
    ],
    [
      401,
      { message: 'Unauthorized.' },
      { message: 'Unauthorized.', type: 'authentication_error', param: null, code: 'invalid_api_key' },
    ],
    [
      429,
      { message: 'Rate limit exceeded.' },
      { message: 'Rate limit exceeded.', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    ],
    [
      500,
      { message: 'Internal server error.' },
      { message: 'Internal server error.', type: 'server_error', param: null, code: null },
    ],
  ])('answers a %i %o in OpenAI’s shape', (status, body, error) => {
    expect(openAIErrorOf(status, body)).toEqual({ error });
  });
});
