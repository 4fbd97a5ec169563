import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/db.ts';

// The history a claim hands the worker is trimmed in SQL to the model's context_limit
// (infra/sql/functions/turn_history.sql). These chats are written straight into the tables, then
// claimed as a worker would.

let db: TestDatabase;
let owner: string;
let provider: string;

beforeAll(async () => {
  db = await createTestDatabase();
  [{ id: owner }] = await db.sql`insert into users (username, role) values ('u', 'member') returning id`;
  [{ id: provider }] = await db.sql`insert into providers (name, kind) values ('p', 'mock') returning id`;
});
afterAll(() => db.drop());

type Role = 'user' | 'assistant';

/** A chat holding `messages` in order, with a queued turn on a model of the given limits. */
async function chatWith(messages: [Role, string][], contextLimit: number | null, maxOutputTokens: number | null) {
  const [model] = await db.sql`
    insert into model_configs (provider_id, model, context_limit, max_output_tokens)
    values (${provider}, 'm', ${contextLimit}, ${maxOutputTokens}) returning id`;
  const [chat] = await db.sql`
    insert into chats (owner_id, title, last_model_config_id) values (${owner}, 't', ${model!.id}) returning id`;
  await db.sql`
    insert into messages (chat_id, role, content)
    select ${chat!.id}, role, content
    from unnest(${messages.map((m) => m[0])}::text[], ${messages.map((m) => m[1])}::text[])
      with ordinality as m(role, content, n)
    order by n`;
  const [turn] = await db.sql`
    insert into turns (chat_id, generation, model_config_id) values (${chat!.id}, 0, ${model!.id}) returning id`;
  return { chatId: chat!.id as string, turnId: turn!.id as string };
}

async function claimHistory(turnId: string): Promise<{ role: Role; content: string }[]> {
  const [row] = await db.sql`select chatq_claim_turn(${turnId}, ${randomUUID()}, 5) as r`;
  expect(row!.r.outcome).toBe('claimed');
  return row!.r.history;
}

/** 40 characters: 10 estimated tokens of text plus 4 of framing, 14 in all. */
const t40 = (first: string): string => first + 'x'.repeat(39);
const u = (first: string): [Role, string] => ['user', t40(first)];
const a = (first: string): [Role, string] => ['assistant', t40(first)];
const HISTORY = [u('1'), a('2'), u('3'), a('4'), u('5')];
/** The first characters of the claimed messages, oldest first: which messages were kept. */
const firsts = (history: { content: string }[]) => history.map((m) => m.content[0]).join('');

describe('the history a claim loads', () => {
  it.each([
    ['a null context_limit keeps everything', HISTORY, null, null, '12345'],
    ['a roomy limit keeps everything', HISTORY, 1_000, null, '12345'],
    ['exactly at budget keeps everything', HISTORY, 70, null, '12345'],
    ['one over budget drops the oldest, and the assistant reply it leaves first', HISTORY, 69, null, '345'],
    ['room for three messages starts at the user message among them', HISTORY, 42, null, '345'],
    ['room for the newest user message only', HISTORY, 14, null, '5'],
    ['the newest user message stays even alone over budget', HISTORY, 1, null, '5'],
    ['max_output_tokens is kept free for the reply', HISTORY, 70, 28, '345'],
    ['the reply room can use the whole limit', HISTORY, 50, 50, '5'],
    ['everything after the newest user message stays too', [u('1'), a('2'), u('3'), a('4')], 1, null, '34'],
    ['a single message is left alone', [u('1')], 1, null, '1'],
    ['a history without a user message is left alone', [a('1'), a('2')], 1, null, '12'],
  ] as const)('%s', async (_name, messages, limit, maxOut, expected) => {
    const { turnId } = await chatWith([...messages], limit, maxOut);
    expect(firsts(await claimHistory(turnId))).toBe(expected);
  });

  it('sends roles and contents in order, and leaves out edited-away messages', async () => {
    const { chatId, turnId } = await chatWith([u('1'), a('2'), u('3'), a('4'), u('5')], null, null);
    await db.sql`update messages set deleted_at = now() where chat_id = ${chatId} and content like '2%'`;
    expect(await claimHistory(turnId)).toEqual([
      { role: 'user', content: t40('1') },
      { role: 'user', content: t40('3') },
      { role: 'assistant', content: t40('4') },
      { role: 'user', content: t40('5') },
    ]);
  });

  it('estimates tokens as the worker does: a quarter of the characters, rounded up', async () => {
    // 3 characters: 1 token + 4 of framing = 5; 'é' and 'ü' are one character each.
    const { turnId } = await chatWith(
      [
        ['user', 'aéü'],
        ['assistant', 'bcd'],
        ['user', 'xyz'],
      ],
      15,
      null,
    );
    expect(firsts(await claimHistory(turnId))).toBe('abx');
    const { turnId: tighter } = await chatWith(
      [
        ['user', 'aéü'],
        ['assistant', 'bcd'],
        ['user', 'xyz'],
      ],
      14,
      null,
    );
    expect(firsts(await claimHistory(tighter))).toBe('x');
  });

  describe('of a long chat', () => {
    let long: { chatId: string; turnId: string };
    beforeAll(async () => {
      // 2,001 messages alternating from a user message: odd positions are the user's.
      long = await chatWith([], null, null);
      await db.sql`
        insert into messages (chat_id, role, content)
        select ${long.chatId}, case when n % 2 = 1 then 'user' else 'assistant' end, 'm' || n
        from generate_series(1, 2001) n order by n`;
      // The planner now knows this chat fills most of the table: the walk must not be tempted into a
      // sequential scan.
      await db.sql`analyze messages`;
    });

    it('with a null context_limit, stops at the 2,000 newest messages, starting with a user message', async () => {
      const history = await claimHistory(long.turnId);
      expect(history).toHaveLength(1_999);
      expect(history[0]).toEqual({ role: 'user', content: 'm3' });
      expect(history.at(-1)).toEqual({ role: 'user', content: 'm2001' });
    });

    it('reads only the newest messages the budget reaches, not the whole chat', async () => {
      await db.sql`update model_configs set context_limit = 30
                   where id = (select last_model_config_id from chats where id = ${long.chatId})`;
      // Rows of `messages` this backend read, as counted so far (the view may include earlier
      // transactions whose counts are not flushed yet, hence the difference).
      const readSoFar = async (tx: postgres.TransactionSql) => {
        const [row] = await tx`
          select idx_tup_fetch + seq_tup_read as n from pg_stat_xact_user_tables where relname = 'messages'`;
        return Number(row!.n);
      };
      const { history, fetched } = await db.sql.begin(async (tx) => {
        const before = await readSoFar(tx);
        const [row] = await tx`select chatq_claim_turn(${long.turnId}, ${randomUUID()}, 5) as r`;
        return { history: row!.r.history, fetched: (await readSoFar(tx)) - before };
      });
      // Each 'mNNNN' costs 2 + 4 = 6 estimated tokens: five fit in 30, the sixth is where the walk stops.
      expect(history.map((m: { content: string }) => m.content)).toEqual(['m1997', 'm1998', 'm1999', 'm2000', 'm2001']);
      expect(fetched).toBeLessThan(150);
    });
  });
});
