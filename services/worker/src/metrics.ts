import type { TurnJob, Usage } from '@chatq/contracts';
import { Counter, createMetricsRegistry, Histogram, type Registry, registerQueueMetrics } from '@chatq/platform';
import type { Queue, Worker } from 'bullmq';
import type { ModelCaller } from './llm/types.ts';

/** Turns last from a few ms (mock) to minutes (long generations with retries). */
const TURN_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const FIRST_TOKEN_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

/** What the turn processor reports when a turn it ran has been persisted (or found superseded). */
export interface TurnFinished {
  provider: string;
  model: string;
  outcome: string;
  seconds: number;
  usage: Usage;
  costMicros: number | null;
}

/** The recorder the turn processor is given; absent in tests that do not look at metrics. */
export interface TurnRecorder {
  turnFinished: (turn: TurnFinished) => void;
}

/** The worker's metrics: a registry for `/metrics` and the hooks that feed it. */
export interface WorkerMetrics extends TurnRecorder {
  registry: Registry;
  /** Wraps a model caller to time its first token. */
  instrument: (caller: ModelCaller) => ModelCaller;
  /** Counts job outcomes, retries and stalls (crashed workers) from the BullMQ worker's events. */
  watch: (worker: Worker<TurnJob, { outcome: string }>) => void;
}

export function createWorkerMetrics(queue: Queue): WorkerMetrics {
  const registry = createMetricsRegistry('worker');
  registerQueueMetrics(registry, queue);
  const registers = [registry];

  const duration = new Histogram({
    name: 'chatq_turn_duration_seconds',
    help: 'From the provider call to the persisted reply, by provider kind, model and outcome',
    labelNames: ['provider', 'model', 'outcome'],
    buckets: TURN_BUCKETS,
    registers,
  });
  const firstToken = new Histogram({
    name: 'chatq_turn_time_to_first_token_seconds',
    help: 'From the provider call to its first piece of text',
    labelNames: ['provider', 'model'],
    buckets: FIRST_TOKEN_BUCKETS,
    registers,
  });
  const tokens = new Counter({
    name: 'chatq_tokens_total',
    help: 'Tokens of persisted replies, by direction (input or output)',
    labelNames: ['provider', 'model', 'direction'],
    registers,
  });
  const cost = new Counter({
    name: 'chatq_cost_dollars_total',
    help: 'Cost of persisted replies in US dollars (priced models only)',
    labelNames: ['provider', 'model'],
    registers,
  });
  const outcomes = new Counter({
    name: 'chatq_turns_total',
    help: 'Turn jobs finished, by outcome (completed, superseded, failed, stale, finished, missing)',
    labelNames: ['outcome'],
    registers,
  });
  const retries = new Counter({
    name: 'chatq_turn_retries_total',
    help: 'Turn attempts that failed and were handed back to the queue for a retry',
    labelNames: ['reason'],
    registers,
  });
  const stalls = new Counter({
    name: 'chatq_turn_stalls_total',
    help: 'Turn jobs whose worker stopped renewing their lock (crashed or hung) and were recovered',
    registers,
  });

  return {
    registry,
    turnFinished: (t) => {
      const labels = { provider: t.provider, model: t.model };
      duration.observe({ ...labels, outcome: t.outcome }, t.seconds);
      if (t.outcome !== 'completed') return;
      tokens.inc({ ...labels, direction: 'input' }, t.usage.input_tokens);
      tokens.inc({ ...labels, direction: 'output' }, t.usage.output_tokens);
      if (t.costMicros !== null) cost.inc(labels, t.costMicros / 1e6);
    },
    instrument: (caller) => (call) => {
      const started = performance.now();
      let seen = false;
      return caller({
        ...call,
        onDelta: (text) => {
          if (!seen) {
            seen = true;
            firstToken.observe(
              { provider: call.provider.kind, model: call.model.name },
              (performance.now() - started) / 1000,
            );
          }
          call.onDelta?.(text);
        },
      });
    },
    watch: (worker) => {
      worker.on('completed', (_job, result) => outcomes.inc({ outcome: result.outcome }));
      worker.on('failed', (job, err) => {
        const willRetry =
          job !== undefined && err.name !== 'UnrecoverableError' && job.attemptsMade < (job.opts.attempts ?? 1);
        if (willRetry) retries.inc({ reason: err.name === 'RetryableTurnError' ? 'provider' : 'error' });
        else outcomes.inc({ outcome: 'failed' });
      });
      worker.on('stalled', () => stalls.inc());
    },
  };
}
