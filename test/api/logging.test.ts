import { createApiServer } from '@chatq/api/server.ts';
import { loadApiConfig } from '@chatq/api/config.ts';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, uniqueName } from '../harness/db.ts';
import { ADMIN_TOKEN, testEnv } from '../harness/stack.ts';

describe('request logs', () => {
  it('carry request_id, user_id and chat_id, and never the bearer token', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const db = await createTestDatabase();
    const logger = pino({ level: 'info', redact: ['req.headers.authorization'] }, sink);
    const server = await createApiServer(loadApiConfig(testEnv(db, uniqueName('q'))), logger);
    try {
      const chatId = randomUUID();
      const res = await server.app.inject({
        method: 'GET',
        url: `/api/v1/chats/${chatId}`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-request-id': 'trace-me' },
      });
      expect(res.statusCode).toBe(404);
      const completed = lines.find((l) => l.msg === 'request completed' && l.request_id === 'trace-me');
      expect(completed).toMatchObject({ request_id: 'trace-me', chat_id: chatId });
      expect(completed!.user_id).toEqual(expect.any(String));
      expect(JSON.stringify(lines)).not.toContain(ADMIN_TOKEN);
    } finally {
      await server.close();
      await db.drop();
    }
  });
});
