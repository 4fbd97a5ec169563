import { startTracing } from '@chatq/platform';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

describe('OpenTelemetry tracing', () => {
  const exporter = new InMemorySpanExporter();
  let stopTracing: () => Promise<void>;
  let stack: TestStack;

  beforeAll(async () => {
    // On before the stack is built: queues and workers pick BullMQ's telemetry up when created.
    stopTracing = await startTracing({ service: 'test', processor: new SimpleSpanProcessor({ exporter }) });
    stack = await startStack();
  });
  afterAll(async () => {
    await stack.close();
    await stopTracing();
  });

  it('follows a request through its turn job to the provider call under the caller’s trace id', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const created = await stack.client.createChat(
      { body: { content: 'trace me' } },
      { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } },
    );
    expect(created.status).toBe(201);

    const spans = await eventually(async () => {
      const mine = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
      const done = mine.some((s) => s.name.startsWith('chat ')) && mine.some((s) => s.name === 'process turns');
      return done ? mine : undefined;
    });
    const names = spans.map((s) => s.name);
    expect(names).toContain('POST /api/v1/chats');
    expect(names).toContain('add turns.turn');
    const call = spans.find((s) => s.name.startsWith('chat '))!;
    expect(call.attributes['gen_ai.system']).toBe('mock');
    expect(call.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
  });
});
