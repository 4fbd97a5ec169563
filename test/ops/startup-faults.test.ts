import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/db.ts';
import { testEnv } from '../harness/stack.ts';
import { freePort, ServiceProcess } from '../harness/processes.ts';

const PASSWORD = 'hunter2-not-for-logs';

/** Starts `kind` and waits for it to exit on its own. */
async function exitOf(kind: 'api' | 'worker', env: Record<string, string>) {
  const service = new ServiceProcess(kind, 0, { ...env, LOG_LEVEL: 'info', STARTUP_TIMEOUT_MS: '1500' });
  const exit = await service.exited;
  return { exit, output: service.output };
}

/** Output an operator can act on: names the variable and address, hides the password, no stack trace. */
function expectReadable(output: string, variable: string, redacted: string) {
  expect(output).toContain(`${variable}=${redacted}`);
  expect(output).toMatch(/gave up waiting for .* after 1500 ms .*connection refused; check that/);
  expect(output).not.toContain(PASSWORD);
  expect(output).not.toMatch(/^\s+at /m);
  expect(output).not.toMatch(/\\n\s+at /);
}

describe('services started while a dependency is unreachable', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it.each(['api', 'worker'] as const)('%s exits 1 naming DATABASE_URL when Postgres does not answer', async (kind) => {
    const port = await freePort();
    const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/chatq`;
    const { exit, output } = await exitOf(kind, testEnv(db, 'q', { DATABASE_URL: url }));
    expect(exit).toEqual({ code: 1, signal: null });
    expect(output).toContain(`waiting for Postgres (DATABASE_URL=postgres://postgres:***@127.0.0.1:${port}/chatq)`);
    expectReadable(output, 'DATABASE_URL', `postgres://postgres:***@127.0.0.1:${port}/chatq`);
  });

  it('worker exits 1 naming REDIS_URL when Redis does not answer', async () => {
    const port = await freePort();
    const url = `redis://:${PASSWORD}@127.0.0.1:${port}`;
    const { exit, output } = await exitOf('worker', testEnv(db, 'q', { REDIS_URL: url }));
    expect(exit).toEqual({ code: 1, signal: null });
    expectReadable(output, 'REDIS_URL', `redis://:***@127.0.0.1:${port}`);
  });
});
