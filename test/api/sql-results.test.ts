import { loadApiConfig } from '@chatq/api/config.ts';
import { createApiServer, type ApiServer } from '@chatq/api/server.ts';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, uniqueName } from '../harness/db.ts';
import { ADMIN_TOKEN, testEnv } from '../harness/stack.ts';

/*
 * A chatq_* function that answers what this build does not know (a new refusal code, another
 * shape) is a bug between the API and its database: the caller gets a bare 500, the log says
 * which function and what was wrong. The functions are replaced in this file's own database.
 */

let db: TestDatabase;
let server: ApiServer;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  db = await createTestDatabase();
  server = await createApiServer(loadApiConfig(testEnv(db, uniqueName('q'))), pino({ level: 'error' }, sink));
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

/** Makes `signature` answer `result` (an SQL expression), whatever its parameters are called. */
async function replaceFunction(signature: string, result: string): Promise<void> {
  await db.sql.unsafe(`drop function ${signature}`);
  await db.sql.unsafe(`create function ${signature} returns jsonb language sql as $$ select ${result} $$`);
}

const request = (method: 'POST' | 'DELETE', url: string) =>
  server.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: {} });

describe('a chatq_* result the API does not know', () => {
  it('a refusal code outside CHANGE_REFUSALS is a 500 that hides it, logged with the function', async () => {
    await replaceFunction('chatq_delete_queued_message(uuid, uuid, uuid)', `jsonb_build_object('error', 'chat_busy')`);
    const res = await request('DELETE', `/api/v1/chats/${randomUUID()}/queue/${randomUUID()}`);
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ message: 'Internal server error.' });
    expect(lines.find((l) => l.source === 'chatq_delete_queued_message')).toMatchObject({
      msg: 'internal error',
      reason: "unknown refusal code 'chat_busy'",
    });
  });

  it('a result of another shape is a 500 that hides it, logged with what was wrong', async () => {
    await replaceFunction('chatq_interrupt_chat(uuid, uuid, uuid, text)', `jsonb_build_object('chat', null)`);
    // An existing chat of the caller's: the owner is checked before the function runs.
    const chat = (await request('POST', '/api/v1/chats')).json().chat;
    const res = await request('POST', `/api/v1/chats/${chat.id}/interrupt`);
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ message: 'Internal server error.' });
    const logged = lines.find((l) => l.source === 'chatq_interrupt_chat');
    expect(logged?.reason).toMatch(/^unexpected result: chat: .*cancelled: /);
  });
});
