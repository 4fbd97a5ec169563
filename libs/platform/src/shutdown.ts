import type { Logger } from 'pino';

/** One step of an orderly stop, run in registration order. */
export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown>;
}

const DUPLICATE_SIGNAL_MS = 1_000;

/**
 * Wires SIGTERM/SIGINT once: the first signal drains (each step in order, bounded by `graceMs`), a
 * second signal (a second or more later) or an exhausted grace period forces exit 1. Returns the drain so tests and launchers
 * can trigger it without a signal.
 */
export function installShutdown(options: {
  logger: Logger;
  graceMs: number;
  steps: ShutdownStep[];
  exit?: (code: number) => void;
}): () => Promise<void> {
  const { logger, graceMs, steps } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let draining: Promise<void> | undefined;

  const drain = (): Promise<void> => {
    draining ??= (async () => {
      const timer = setTimeout(() => {
        logger.error({ grace_ms: graceMs }, 'shutdown grace period exceeded; forcing exit');
        exit(1);
      }, graceMs);
      timer.unref();
      let failed = false;
      for (const step of steps) {
        try {
          await step.run();
          logger.debug({ step: step.name }, 'shutdown step done');
        } catch (err) {
          failed = true;
          logger.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
      clearTimeout(timer);
      logger.info('shutdown complete');
      exit(failed ? 1 : 0);
    })();
    return draining;
  };

  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // A launcher that forwards a signal its process group also received delivers it twice within
    // milliseconds; only a deliberate second signal (a person pressing Ctrl-C again) forces.
    if (draining && Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) return;
    firstSignalAt ||= Date.now();
    if (draining) {
      logger.warn({ signal }, 'second signal; forcing exit');
      exit(1);
      return;
    }
    logger.info({ signal }, 'draining');
    void drain();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return drain;
}
