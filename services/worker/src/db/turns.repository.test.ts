import { describe, expect, it } from 'vitest';
import { ChatqResultError, Claim, Finish, parseResult } from './turns.repository.ts';

/*
 * The chatq_* turn functions' JSON results, shaped as `to_jsonb` and `jsonb_build_object` return
 * them (extra columns included), and what the worker makes of them.
 */

const at = '2026-01-01T00:00:00.123456+00:00';
const chat = {
  id: 'c1',
  owner_id: 'u1',
  title: 'hello',
  status: 'running',
  last_model_config_id: 'm1',
  last_error: null,
  generation: 3,
  archived: false,
  system_prompt: null,
  tool_ids: [],
  client_tools: [],
  created_at: at,
  updated_at: at,
};
const turn = {
  id: 't1',
  chat_id: 'c1',
  generation: 3,
  status: 'running',
  model_config_id: 'm1',
  user_message_id: 'msg1',
  steps: 0,
  finish_reason: null,
  pending_tool_calls: null,
  error: null,
  attempts: 2,
  resumes: 0,
  resumed_at: null,
  approved_tool_calls: [],
  claim_id: 'k1',
  relayed_at: null,
  created_at: at,
  started_at: at,
  finished_at: null,
};
const model = {
  id: 'm1',
  provider_id: 'p1',
  model: 'gpt-test',
  display_name: null,
  enabled: true,
  is_default: false,
  context_limit: 8_000,
  max_output_tokens: null,
  input_price_per_mtok: 0.15,
  output_price_per_mtok: null,
  options: {},
  system_prompt: null,
  max_steps: 8,
  created_at: at,
  updated_at: at,
  deleted_at: null,
};
const provider = {
  id: 'p1',
  kind: 'openai',
  base_url: null,
  options: { temperature: 0 },
  api_key: 'c2VhbGVk',
  secret_headers: null,
};
const history = [
  { role: 'user', content: 'the secret plan' },
  { role: 'assistant', content: 'ok' },
];
const claimed = {
  outcome: 'claimed',
  owner_id: 'u1',
  chat,
  turn,
  model,
  provider,
  history,
  tools: [],
  mcp_servers: [],
};
const reply = {
  id: 'a1',
  chat_id: 'c1',
  role: 'assistant',
  content: 'done',
  parts: null,
  model_config_id: 'm1',
  turn_id: 't1',
  usage: { input_tokens: 5, output_tokens: 1 },
  cost_micros: 1,
  interrupted: false,
  deleted_at: null,
  created_at: at,
};
const next = {
  message: { ...reply, id: 'q1', role: 'user', content: 'next one', usage: null, cost_micros: null },
  turn: { ...turn, id: 't2', generation: 4, status: 'queued', started_at: null, attempts: 0 },
};
const resting = { ...chat, status: 'error', last_error: 'boom' };

describe('chatq_claim_turn results', () => {
  it.each([
    { name: 'a claim', result: claimed },
    { name: 'a superseded turn', result: { outcome: 'superseded' } },
    { name: 'a missing turn', result: { outcome: 'missing' } },
    { name: 'a finished turn', result: { outcome: 'finished', status: 'completed' } },
    {
      name: 'a turn the claim failed, the chat resting',
      result: { outcome: 'failed', error: 'abandoned', owner_id: 'u1', chat: resting },
    },
    {
      name: 'a turn the claim failed, the next message started',
      result: { outcome: 'failed', error: 'abandoned', owner_id: 'u1', chat, next },
    },
  ])('reads $name', ({ result }) => {
    expect(parseResult('chatq_claim_turn', Claim, result).outcome).toBe(result.outcome);
  });

  it('keeps what a turn needs and drops the columns it does not', () => {
    const claim = parseResult('chatq_claim_turn', Claim, claimed);
    if (claim.outcome !== 'claimed') throw new Error('expected a claim');
    expect(claim.turn).toMatchObject({ id: 't1', generation: 3, attempts: 2, started_at: at });
    expect(claim.turn).not.toHaveProperty('claim_id');
    expect(claim.model).toEqual({
      id: 'm1',
      model: 'gpt-test',
      context_limit: 8_000,
      max_output_tokens: null,
      input_price_per_mtok: 0.15,
      output_price_per_mtok: null,
      options: {},
      system_prompt: null,
      max_steps: 8,
    });
    expect(claim.history).toEqual(history);
  });

  it.each([
    { name: 'not an object', result: null, where: '(result)' },
    { name: 'an unknown outcome', result: { outcome: 'borrowed' }, where: 'outcome' },
    { name: 'a claim without its history', result: { ...claimed, history: undefined }, where: 'history' },
    {
      name: 'a history message of an unknown role',
      result: { ...claimed, history: [{ role: 'system', content: 'the secret plan' }] },
      where: 'history.0.role',
    },
    {
      name: 'a provider of an unknown kind',
      result: { ...claimed, provider: { ...provider, kind: 'x' } },
      where: 'provider.kind',
    },
    {
      name: 'a price as text',
      result: { ...claimed, model: { ...model, input_price_per_mtok: '0.15' } },
      where: 'model.input_price_per_mtok',
    },
    { name: 'a failed claim without its error', result: { outcome: 'failed', owner_id: 'u1', chat }, where: 'error' },
  ])('refuses $name, naming the function and where, never the values', ({ result, where }) => {
    const read = () => parseResult('chatq_claim_turn', Claim, result);
    expect(read).toThrow(ChatqResultError);
    expect(read).toThrow(/^chatq_claim_turn returned an unexpected result \(/);
    expect(read).toThrow(where);
    expect(read).not.toThrow(/secret plan/);
  });
});

describe('chatq_complete_turn and chatq_fail_turn results', () => {
  it.each([
    { name: 'a completed turn', result: { outcome: 'completed', message: reply, chat: { ...chat, status: 'idle' } } },
    {
      name: 'a completed turn, the next message started',
      result: { outcome: 'completed', message: reply, chat, next },
    },
    { name: 'a failed turn', result: { outcome: 'failed', chat: resting } },
    { name: 'a superseded turn', result: { outcome: 'superseded' } },
    { name: 'a stale claim', result: { outcome: 'stale', status: 'cancelled' } },
    { name: 'a turn whose chat was deleted', result: { outcome: 'stale', status: null } },
  ])('reads $name', ({ result }) => {
    expect(parseResult('chatq_complete_turn', Finish, result).outcome).toBe(result.outcome);
  });

  it('keeps the chat owner, who the end events are also for', () => {
    const finish = parseResult('chatq_fail_turn', Finish, { outcome: 'failed', chat, next });
    if (finish.outcome !== 'failed') throw new Error('expected a failure');
    expect(finish.chat.owner_id).toBe('u1');
    expect(finish.next?.turn.id).toBe('t2');
  });

  it.each([
    { name: 'a completion without its message', result: { outcome: 'completed', chat }, where: 'message' },
    {
      name: 'a chat without its owner',
      result: { outcome: 'failed', chat: { ...chat, owner_id: undefined } },
      where: 'chat.owner_id',
    },
    { name: 'a stale turn of an unknown status', result: { outcome: 'stale', status: 'lost' }, where: 'status' },
    { name: 'a claim outcome', result: { outcome: 'claimed' }, where: 'outcome' },
  ])('refuses $name', ({ result, where }) => {
    const read = () => parseResult('chatq_fail_turn', Finish, result);
    expect(read).toThrow(/^chatq_fail_turn returned an unexpected result/);
    expect(read).toThrow(where);
  });
});
