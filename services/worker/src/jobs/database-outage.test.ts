import { createLogger } from '@chatq/platform';
import { DelayedError, type Job } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import { RetryableTurnError } from './backoff.ts';
import { DATABASE_RETRY_MS, retryThroughDatabaseOutages } from './database-outage.ts';

const log = createLogger({ service: 'test', level: 'silent' });
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

function fakeJob() {
  const moveToDelayed = vi.fn(async () => {});
  const data = { turn_id: 't1', chat_id: 'c1', generation: 1 };
  return { job: { id: 'turn-1', data, moveToDelayed } as unknown as Job, moveToDelayed };
}

describe('retryThroughDatabaseOutages', () => {
  it('passes results through', async () => {
    const { job } = fakeJob();
    await expect(retryThroughDatabaseOutages(async () => 'done', log)(job, 'token')).resolves.toBe('done');
  });

  it('puts the job back as delayed, not failed, when Postgres is unreachable', async () => {
    const { job, moveToDelayed } = fakeJob();
    const before = Date.now();
    const run = retryThroughDatabaseOutages(
      () => Promise.reject(refused()),
      log,
      () => 0,
    );
    await expect(run(job, 'token')).rejects.toBeInstanceOf(DelayedError);
    expect(moveToDelayed).toHaveBeenCalledOnce();
    const [at, token] = moveToDelayed.mock.calls[0] as unknown as [number, string];
    expect(token).toBe('token');
    expect(at - before).toBeGreaterThanOrEqual(DATABASE_RETRY_MS / 2);
  });

  it.each([
    [
      'a provider error that wraps a refused connection',
      new RetryableTurnError('network', undefined, { cause: refused() }),
    ],
    ['a failing statement', Object.assign(new Error('syntax error'), { code: '42601' })],
  ])('leaves %s to BullMQ', async (_what, err) => {
    const { job, moveToDelayed } = fakeJob();
    await expect(retryThroughDatabaseOutages(() => Promise.reject(err), log)(job, 'token')).rejects.toBe(err);
    expect(moveToDelayed).not.toHaveBeenCalled();
  });
});
