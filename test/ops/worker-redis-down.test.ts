import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, uniqueName } from '../harness/db.ts';
import { testEnv } from '../harness/stack.ts';
import { hold, PrivateRedis, type ServiceProcess, startService } from './processes.ts';

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

  it('measure', { timeout: 60_000 }, async () => {
    worker = await startService('worker', testEnv(db, uniqueName('q'), { REDIS_URL: redis.url, LOG_LEVEL: 'debug', SHUTDOWN_GRACE_MS: '25000' }));
    const lines: string[] = [];
    worker.child.stderr!.on('data', (c: Buffer) => console.log('STDERR', c.toString().slice(0, 300)));
    worker.child.stdout!.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    await redis.kill();
    await hold(12_000);
    console.log(lines.length, lines.map((l) => JSON.parse(l).msg).join('\n'));
    console.log(lines.slice(0,3).join('\n'));
    const t = Date.now();
    worker.kill('SIGTERM');
    console.log(await worker.exited, Date.now() - t);
    console.log(lines.slice(-8).join('\n'));
    expect(1).toBe(1);
  });
});
