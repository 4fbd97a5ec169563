import { TurnsRepository } from '@chatq/worker/db/turns.repository.ts';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/db.ts';

// The chatq_* functions are the turn state machine; these tests drive them directly.
let db: TestDatabase;
let turns: TurnsRepository;
let owner: string;
let model: string;

beforeAll(async () => {
  db = await createTestDatabase();
  turns = new TurnsRepository(db.sql);
  [{ id: owner }] = await db.sql`insert into users (username, role) values ('u', 'member') returning id`;
  const [p] = await db.sql`insert into providers (name, kind) values ('p', 'mock') returning id`;
  [{ id: model }] = await db.sql`insert into model_configs (provider_id, model) values (${p!.id}, 'm') returning id`;
});
afterAll(() => db.drop());

async function newTurn() {
  const [row] = await db.sql`select chatq_create_chat(${owner}, 't', ${model}, 'hello') as r`;
  const r = row!.r;
  return { chatId: r.chat.id as string, turnId: r.turn.id as string };
}

const usage = { input_tokens: 1, output_tokens: 1 };

describe('turn fencing', () => {
  it('only the latest claimer may complete a turn', async () => {
    const { turnId, chatId } = await newTurn();
    const first = randomUUID();
    const second = randomUUID();
    expect((await turns.claim(turnId, first, 5)).outcome).toBe('claimed');
    // The first worker stalls; BullMQ hands the job to another worker, which claims again.
    expect((await turns.claim(turnId, second, 5)).outcome).toBe('claimed');
    expect((await turns.complete(turnId, first, 'stale reply', usage, null)).outcome).toBe('stale');
    expect((await turns.complete(turnId, second, 'fresh reply', usage, null)).outcome).toBe('completed');
    expect((await turns.complete(turnId, second, 'again', usage, null)).outcome).toBe('stale');
    const replies = await db.sql`select content from messages where chat_id = ${chatId} and role = 'assistant'`;
    expect(replies.map((r) => r.content)).toEqual(['fresh reply']);
  });

  it('a turn superseded after its claim never appends, and is marked superseded', async () => {
    const { turnId, chatId } = await newTurn();
    const claim = randomUUID();
    expect((await turns.claim(turnId, claim, 5)).outcome).toBe('claimed');
    await db.sql`update chats set generation = generation + 1 where id = ${chatId}`;
    expect((await turns.complete(turnId, claim, 'late', usage, null)).outcome).toBe('superseded');
    const [t] = await db.sql`select status from turns where id = ${turnId}`;
    expect(t!.status).toBe('superseded');
    const replies = await db.sql`select 1 from messages where chat_id = ${chatId} and role = 'assistant'`;
    expect(replies).toHaveLength(0);
  });

  it('a claim of a superseded turn reports it and does not run', async () => {
    const { turnId, chatId } = await newTurn();
    await db.sql`update chats set generation = generation + 1 where id = ${chatId}`;
    expect((await turns.claim(turnId, randomUUID(), 5)).outcome).toBe('superseded');
    expect((await turns.claim(turnId, randomUUID(), 5)).outcome).toBe('finished');
  });

  it('a turn claimed too many times fails with a clear error and puts the chat in error', async () => {
    const { turnId, chatId } = await newTurn();
    for (let i = 0; i < 3; i++) expect((await turns.claim(turnId, randomUUID(), 3)).outcome).toBe('claimed');
    const error = 'turn abandoned after 3 attempts (its worker stopped or timed out each time)';
    expect(await turns.claim(turnId, randomUUID(), 3)).toMatchObject({ outcome: 'failed', error });
    const [chat] = await db.sql`select status, last_error from chats where id = ${chatId}`;
    expect(chat).toEqual({ status: 'error', last_error: error });
  });

  it('the claim returns the chat’s current model and the live history in order', async () => {
    const { turnId, chatId } = await newTurn();
    const claim = await turns.claim(turnId, randomUUID(), 5);
    expect(claim.outcome).toBe('claimed');
    if (claim.outcome !== 'claimed') return;
    expect(claim.model.id).toBe(model);
    expect(claim.provider).toMatchObject({ kind: 'mock', api_key: null });
    expect(claim.history).toEqual([{ role: 'user', content: 'hello' }]);
    const [row] = await db.sql`select count(*)::int as n from turns where chat_id = ${chatId} and status = 'running'`;
    expect(row!.n).toBe(1);
  });

  it('the outbox hands each due turn to one relay, then waits before handing it again', async () => {
    const { turnId } = await newTurn();
    await db.sql`update turns set created_at = now() - interval '1 minute' where id = ${turnId}`;
    const [a, b] = await Promise.all([turns.takeDueOutbox(10_000, 100), turns.takeDueOutbox(10_000, 100)]);
    const handed = [...a, ...b].filter((j) => j.turn_id === turnId);
    expect(handed).toHaveLength(1);
    expect((await turns.takeDueOutbox(10_000, 100)).filter((j) => j.turn_id === turnId)).toHaveLength(0);
  });
});
