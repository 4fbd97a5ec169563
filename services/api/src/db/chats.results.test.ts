import { CHANGE_REFUSALS } from '@chatq/chat-core';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { InternalError } from '../domain/errors.ts';
import {
  CreateChatJson,
  DeleteQueuedJson,
  EditMessageJson,
  InterruptChatJson,
  SendMessageJson,
  UpdateChatJson,
} from './chats.results.ts';
import { IdempotencyClaimJson } from './idempotency.repository.ts';
import { parseChange, parseResult } from './results.ts';

/** The tables mix the schemas of several functions. */
type AnySchema = z.ZodType<unknown>;

/* Rows as to_jsonb writes them inside the chatq_* results: timestamps as text, extra columns kept. */
const at = '2026-01-01T00:00:00.123456+00:00';
const chat = {
  id: 'c',
  owner_id: 'u',
  title: 't',
  status: 'pending',
  generation: 4,
  last_model_config_id: 'm',
  last_error: null,
  archived: false,
  system_prompt: null,
  tool_ids: [],
  client_tools: [],
  created_at: at,
  updated_at: at,
};
const message = {
  id: 'msg',
  seq: 7,
  chat_id: 'c',
  role: 'user',
  content: 'hi',
  parts: null,
  model_config_id: 'm',
  usage: null,
  cost_micros: null,
  interrupted: false,
  turn_id: null,
  deleted_at: null,
  created_at: at,
};
const partial = { ...message, id: 'partial', role: 'assistant', content: 'half a rep', interrupted: true };
const turn = {
  id: 'turn',
  chat_id: 'c',
  generation: 4,
  status: 'queued',
  model_config_id: 'm',
  steps: 0,
  finish_reason: null,
  pending_tool_calls: null,
  error: null,
  attempts: 0,
  claim_id: null,
  user_message_id: 'msg',
  created_at: at,
  started_at: null,
  finished_at: null,
};
const queued = { id: 'q', seq: 1, chat_id: 'c', content: 'later', model_config_id: 'm', created_at: at };
const started = { chat, message, turn, superseded_turn_id: null };

describe('the JSON of each chatq_* change', () => {
  it.each([
    ['chatq_create_chat', CreateChatJson, { chat }, { kind: 'created' }],
    ['chatq_create_chat', CreateChatJson, started, { kind: 'started' }],
    ['chatq_send_message', SendMessageJson, started, { kind: 'started' }],
    ['chatq_send_message', SendMessageJson, { ...started, cancelled: null }, { kind: 'started' }],
    [
      'chatq_send_message',
      SendMessageJson,
      { ...started, cancelled: { turn_id: 'old', generation: 3, message: partial } },
      { kind: 'started', cancelled: { turn_id: 'old', generation: 3, message: { id: 'partial', interrupted: true } } },
    ],
    [
      'chatq_send_message',
      SendMessageJson,
      { chat, queued_message: queued },
      { kind: 'queued', queued_message: { id: 'q' } },
    ],
    [
      'chatq_edit_message',
      EditMessageJson,
      { ...started, superseded_turn_id: 'old' },
      { kind: 'started', superseded_turn_id: 'old' },
    ],
    [
      'chatq_interrupt_chat',
      InterruptChatJson,
      { chat, cancelled: { turn_id: 'old', generation: 3, message: null } },
      { kind: 'interrupted', cancelled: { turn_id: 'old', generation: 3 } },
    ],
    [
      'chatq_interrupt_chat',
      InterruptChatJson,
      { chat, next: { message, turn }, cancelled: { turn_id: 'old', generation: 3, message: partial } },
      { kind: 'interrupted', next: { message: { id: 'msg' }, turn: { id: 'turn', generation: 4 } } },
    ],
    ['chatq_delete_queued_message', DeleteQueuedJson, { deleted: 'q' }, { deleted: 'q' }],
    [
      'chatq_update_chat',
      UpdateChatJson,
      { chat: { ...chat, system_prompt: 'Be brief.', tool_ids: ['t1'] } },
      { kind: 'updated', chat: { system_prompt: 'Be brief.', tool_ids: ['t1'], client_tools: [] } },
    ],
  ] as const)('%s parses %j', (fn, schema, json, expected) => {
    expect(parseChange(fn, schema as AnySchema, json)).toMatchObject(expected);
  });

  it('turns rows into API shapes: RFC 3339 times, no unknown columns', () => {
    const result = parseChange('chatq_send_message', SendMessageJson, started);
    expect(result).toEqual({
      kind: 'started',
      chat: {
        id: 'c',
        title: 't',
        status: 'pending',
        last_model_config_id: 'm',
        last_error: null,
        archived: false,
        system_prompt: null,
        tool_ids: [],
        client_tools: [],
        created_at: '2026-01-01T00:00:00.123Z',
        updated_at: '2026-01-01T00:00:00.123Z',
      },
      message: {
        id: 'msg',
        chat_id: 'c',
        role: 'user',
        content: 'hi',
        model_config_id: 'm',
        created_at: '2026-01-01T00:00:00.123Z',
      },
      turn: {
        id: 'turn',
        chat_id: 'c',
        generation: 4,
        status: 'queued',
        model_config_id: 'm',
        steps: 0,
        created_at: '2026-01-01T00:00:00.123Z',
      },
    });
  });

  it('shows parts only on messages that have more than their text, and a waiting turn’s calls', () => {
    const call = { tool_call_id: 'call_1', name: 'pick_date', input: { earliest: '2026-07-01' } };
    const asked = {
      ...message,
      role: 'assistant',
      content: 'Let me ask.',
      parts: [
        { type: 'text', text: 'Let me ask.' },
        { type: 'tool_call', ...call },
      ],
    };
    const waiting = {
      ...turn,
      status: 'requires_action',
      steps: 1,
      finish_reason: 'tool_calls',
      pending_tool_calls: [call],
    };
    const result = parseChange('chatq_send_message', SendMessageJson, { ...started, message: asked, turn: waiting });
    expect(result).toMatchObject({
      message: { parts: asked.parts },
      turn: { status: 'requires_action', steps: 1, finish_reason: 'tool_calls', pending_tool_calls: [call] },
    });
    const plain = parseChange('chatq_send_message', SendMessageJson, started);
    expect(plain).toMatchObject({ kind: 'started' });
    expect((plain as { message: object }).message).not.toHaveProperty('parts');
  });

  it.each(CHANGE_REFUSALS)('passes the refusal %s on', (code) => {
    expect(parseChange('chatq_send_message', SendMessageJson, { error: code })).toEqual({
      kind: 'refused',
      refusal: code,
    });
  });

  it.each([
    ['a code no function may return', CreateChatJson, { error: 'chat_busy' }, "unknown refusal code 'chat_busy'"],
    ['a code that is not text', CreateChatJson, { error: 42 }, 'unknown refusal code not a string'],
    ['no result at all', CreateChatJson, undefined, 'unexpected result'],
    ['null', CreateChatJson, null, 'unexpected result'],
    ['a started turn without its turn', CreateChatJson, { chat, message }, 'unexpected result'],
    ['a chat whose status is unknown', CreateChatJson, { chat: { ...chat, status: 'sleeping' } }, 'chat.status'],
    ['an empty chat with a stray key', CreateChatJson, { chat, message: null }, 'unexpected result'],
    ['an interrupt that cancelled nothing', InterruptChatJson, { chat }, 'cancelled'],
  ] as const)(
    'turns %s into an InternalError naming the function and what was wrong',
    (_name, schema, json, reason) => {
      const err = internalErrorOf(() => parseChange('chatq_x', schema as AnySchema, json));
      expect(err.source).toBe('chatq_x');
      expect(err.reason).toContain(reason);
    },
  );

  it('never puts what a row holds in the reason, only where and what was expected', () => {
    const secret = 'the user wrote this';
    const json = { chat, message: { ...message, content: secret, role: 'robot' }, turn };
    const err = internalErrorOf(() => parseChange('chatq_send_message', SendMessageJson, json));
    expect(err.reason).toContain('message.role');
    expect(err.message).not.toContain(secret);
  });
});

function internalErrorOf(parse: () => unknown): InternalError {
  try {
    parse();
  } catch (err) {
    if (err instanceof InternalError) return err;
    throw err;
  }
  throw new Error('expected an InternalError');
}

describe('the JSON of chatq_idempotency_claim', () => {
  it.each([
    [{ busy: true }, { busy: true }],
    [{ busy: false }, { busy: false }],
    [
      { busy: false, fingerprint: 'AAE=', status: 201, body: 'AgM=' },
      { busy: false, record: { fingerprint: Buffer.from([0, 1]), status: 201, body: Buffer.from([2, 3]) } },
    ],
  ])('parses %j', (json, expected) => {
    expect(parseResult('chatq_idempotency_claim', IdempotencyClaimJson, json)).toEqual(expected);
  });

  it.each([[{ busy: false, fingerprint: 'AAE=' }], [{ busy: 'no' }], [{}]])('refuses %j', (json) => {
    expect(() => parseResult('chatq_idempotency_claim', IdempotencyClaimJson, json)).toThrow(InternalError);
  });
});
