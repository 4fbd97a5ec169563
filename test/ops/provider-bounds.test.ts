import { createCompatibleModel } from '../harness/models.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { ChatqClient } from '@chatq/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../fakes/openai.ts';
import type { FakeProvider } from '../fakes/server.ts';
import { settledChat } from '../harness/chats.ts';
import { createTestDatabase, type TestDatabase, uniqueName } from '../harness/db.ts';
import { ADMIN_TOKEN, testEnv } from '../harness/stack.ts';
import { ServiceProcess, startService } from '../harness/processes.ts';
import { PrivateRedis } from '../harness/private-servers.ts';

const MiB = 1024 * 1024;

/** Prints a measured number with TEST_SHOW_OUTPUT=1 (as the processes' logs are). */
const report = (line: string) => {
  if (process.env.TEST_SHOW_OUTPUT) console.warn(line);
};

/** Peak resident memory of `pid` since the last `resetPeak` (Linux: VmHWM). */
const peakRss = (pid: number): number =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const currentRss = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
/** Writing 5 to clear_refs resets VmHWM to the current RSS. */
const resetPeak = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

const redisMemory = async (redis: Redis, field: 'used_memory' | 'used_memory_peak'): Promise<number> =>
  Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(await redis.info('memory'))![1]);

describe('a worker process facing a hostile provider', () => {
  let fake: FakeProvider;
  let redisServer: PrivateRedis;
  let redis: Redis;
  let db: TestDatabase;
  let api: ServiceProcess;
  let worker: ServiceProcess;
  let admin: ChatqClient;
  let modelId: string;
  /** Every line the worker wrote to stdout, from its first. */
  const lines: string[] = [];

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    // Redis of its own, so its memory is this test's alone.
    redisServer = await PrivateRedis.start();
    redis = new Redis(redisServer.url);
    db = await createTestDatabase();
    const env = testEnv(db, uniqueName('q'), { REDIS_URL: redisServer.url, LOG_LEVEL: 'info' });
    api = await startService('api', { ...env, LOG_LEVEL: 'silent' });
    // What is measured is what the worker keeps, not how lazily V8 collects what it threw away.
    // Under a burst of tiny deltas V8 would grow its young generation, and let the old one run
    // ahead of a concurrent marker starved by a busy machine, by tens of MB that are garbage; so
    // the worker runs with a 1 MB semi-space, single-threaded GC and a 64 MB old generation. A
    // worker that kept what the provider sent would then die of heap exhaustion, and the turn would
    // not fail with the reply limit's error: the test would fail either way.
    worker = new ServiceProcess('worker', 0, env, undefined, [
      '--max-semi-space-size=1',
      '--single-threaded-gc',
      '--max-old-space-size=64',
    ]);
    let partial = '';
    worker.child.stdout!.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop()!;
      lines.push(...parts);
    });
    await worker.ready();
    admin = new ChatqClient({ baseUrl: api.url, token: ADMIN_TOKEN });
    modelId = await createCompatibleModel(admin, 'hostile', fake.origin);
    // One ordinary turn first, so the provider packages are loaded before anything is measured.
    const warm = await admin.createChat({ body: { content: 'warm up', model_config_id: modelId } });
    expect((await settledChat(admin, warm.body.chat.id)).status).toBe('idle');
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    redis?.disconnect();
    await redisServer?.close();
    await fake?.close();
    await db?.drop();
  });

  const failedTurn = async (content: string) => {
    const created = await admin.createChat({ body: { content, model_config_id: modelId } });
    return settledChat(admin, created.body.chat.id, 60_000);
  };

  it('stops a 50 MB reply at MAX_REPLY_CHARS, with worker and Redis memory bounded', async () => {
    const pid = worker.child.pid!;
    const rssBefore = currentRss(pid);
    resetPeak(pid);
    const redisBefore = await redisMemory(redis, 'used_memory');
    await redis.config('RESETSTAT');

    fake.script({ flood: 'ten chars ', bytes: 50 * MiB });
    const chat = await failedTurn('flood me');

    const rssGrowth = peakRss(pid) - rssBefore;
    const redisGrowth = (await redisMemory(redis, 'used_memory_peak')) - redisBefore;
    const flood = fake.received.at(-1)!;
    report(
      `50 MB flood: worker RSS +${(rssGrowth / MiB).toFixed(1)} MiB at peak, Redis +${(redisGrowth / MiB).toFixed(1)} MiB, ` +
        `provider sent ${(flood.sentBytes! / MiB).toFixed(1)} MiB before the worker hung up`,
    );
    expect(chat).toMatchObject({ status: 'error', last_error: 'reply exceeded 400000 characters' });
    expect(fake.received.filter((r) => r.messages.some((m) => m.content === 'flood me'))).toHaveLength(1);
    expect(flood.sentBytes!).toBeLessThan(50 * MiB);
    expect(rssGrowth).toBeLessThan(64 * MiB);
    expect(redisGrowth).toBeLessThan(16 * MiB);
  });

  it('reads a 20 MB error body only in part, and logs neither all of it nor the conversation', async () => {
    const secret = 'the plans for the heist are in the blue folder';
    fake.script({ status: 400, bodyBytes: 20 * MiB });
    const chat = await failedTurn(secret);

    expect(chat.status).toBe('error');
    expect(chat.last_error!.length).toBeLessThanOrEqual(500);
    expect(chat.last_error).not.toMatch(/\n/);
    expect(fake.received.at(-1)!.sentBytes!).toBeLessThan(20 * MiB);
    const failure = lines.findLast((l) => l.includes('"provider call failed"'));
    expect(failure).toBeDefined();
    report(
      `20 MB error body: longest worker log line ${Math.max(...lines.map((l) => l.length))} chars, ` +
        `the failure line ${failure!.length}`,
    );
    expect(JSON.parse(failure!).error).toMatchObject({ status: 400, body: expect.stringMatching(/^\{"error"/) });
    for (const line of lines) {
      expect(line.length).toBeLessThan(4_096);
      expect(line).not.toContain(secret);
    }
  });
});
