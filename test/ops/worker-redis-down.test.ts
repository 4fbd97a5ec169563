import { setTimeout as sleep } from 'node:timers/promises';
import { REDIS_ERROR_LOG_INTERVAL_MS } from '@chatq/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, uniqueName } from '../harness/db.ts';
import { testEnv } from '../harness/stack.ts';
import { type ServiceProcess, startService } from '../harness/processes.ts';
import { PrivateRedis } from '../harness/private-servers.ts';

describe('a worker while Redis is down', () => {
  let redis: PrivateRedis;
  let db: TestDatabase;
  let worker: ServiceProcess | undefined;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await worker?.stop();
    await redis?.close();
    await db?.drop();
  });

  it('logs at most one line per 10 s per connection, and an idle worker stops within 2 s of SIGTERM', async () => {
    // Debug level, so the connections whose errors are routine (events, queue, control) count too.
    worker = await startService('worker', testEnv(db, uniqueName('q'), { REDIS_URL: redis.url, LOG_LEVEL: 'debug' }));
    const lines: { msg: string }[] = [];
    worker.child.stdout!.on('data', (chunk: Buffer) =>
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line)),
      ),
    );
    await redis.kill();
    // A measurement, not a wait for a signal: the log lines of a fixed window of outage are counted.
    const windowMs = 12_000;
    await sleep(windowMs);
    const perSource = Map.groupBy(lines, (line) => line.msg);
    expect([...perSource.keys()]).toContain('worker error');
    for (const [msg, logged] of perSource) {
      expect(logged.length, msg).toBeLessThanOrEqual(Math.ceil(windowMs / REDIS_ERROR_LOG_INTERVAL_MS));
    }

    const signalled = Date.now();
    worker.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(2_000);
  });
});
