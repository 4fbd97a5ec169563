import type { Queue } from 'bullmq';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { withTimeout } from './timeout.ts';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Content type of the Prometheus text format that `/metrics` answers with. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** Job states reported for the queue, as BullMQ's own Prometheus exporter names them. */
const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

/** A scrape must answer even while Redis is away: the queue gauge gives up after this long. */
const QUEUE_SCRAPE_TIMEOUT_MS = 1_000;

/**
 * A registry of one chatq process: process metrics (CPU, RSS, event loop lag, GC) labelled with
 * the service, and whatever the service registers on it. One per process, never the global one,
 * so tests can build many apps side by side.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * `bullmq_job_count{queue, state}`: the turn queue's depth by job state, read from Redis at scrape
 * time (the same series BullMQ's exporter produces, so its dashboards work). While Redis is down
 * the gauge reports nothing rather than stale numbers.
 */
export function registerQueueMetrics(registry: Registry, queue: Queue): void {
  new Gauge({
    name: 'bullmq_job_count',
    help: 'Number of jobs in the queue by state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      const counts = await withTimeout(queue.getJobCounts(...JOB_STATES), QUEUE_SCRAPE_TIMEOUT_MS).catch(
        () => undefined,
      );
      if (!counts) return;
      for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
    },
  });
}
