import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from './logger.ts';
import { installShutdown } from './shutdown.ts';

const logger = createLogger({ service: 'test', level: 'silent' });

afterEach(() => {
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
  vi.useRealTimers();
});

describe('installShutdown', () => {
  it('drains the steps in order on the first signal and exits 0', async () => {
    const order: string[] = [];
    const exits: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const drain = installShutdown({
      logger,
      graceMs: 5_000,
      exit: (code) => exits.push(code),
      steps: [
        { name: 'http', run: async () => (await gate, order.push('http')) },
        { name: 'db', run: async () => order.push('db') },
      ],
    });
    process.emit('SIGTERM');
    expect(exits).toEqual([]);
    release();
    await drain();
    expect(order).toEqual(['http', 'db']);
    expect(exits).toEqual([0]);
  });

  it('ignores the same signal delivered twice at once, but a later second signal forces exit 1', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const exits: number[] = [];
    installShutdown({
      logger,
      graceMs: 60_000,
      exit: (code) => exits.push(code),
      steps: [{ name: 'stuck', run: () => new Promise(() => {}) }],
    });
    process.emit('SIGTERM');
    process.emit('SIGTERM');
    expect(exits).toEqual([]);
    vi.advanceTimersByTime(1_500);
    process.emit('SIGINT');
    expect(exits).toEqual([1]);
  });

  it('forces exit 1 when the grace period runs out', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const exits: number[] = [];
    installShutdown({
      logger,
      graceMs: 2_000,
      exit: (code) => exits.push(code),
      steps: [{ name: 'stuck', run: () => new Promise(() => {}) }],
    });
    process.emit('SIGTERM');
    vi.advanceTimersByTime(2_001);
    expect(exits).toEqual([1]);
  });

  it('exits 1 when a step fails, after running the rest', async () => {
    const exits: number[] = [];
    const ran: string[] = [];
    const drain = installShutdown({
      logger,
      graceMs: 5_000,
      exit: (code) => exits.push(code),
      steps: [
        { name: 'bad', run: async () => Promise.reject(new Error('boom')) },
        { name: 'good', run: async () => ran.push('good') },
      ],
    });
    await drain();
    expect(ran).toEqual(['good']);
    expect(exits).toEqual([1]);
  });
});
