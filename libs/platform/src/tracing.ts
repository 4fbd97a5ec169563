import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Telemetry } from 'bullmq';

/** Name of chatq's tracer (the instrumentation scope of its spans). */
const TRACER = 'chatq';

let telemetry: Telemetry | undefined;

/**
 * Turns OpenTelemetry tracing on for this process: spans go through `processor` (by default a
 * batch exporter to `${endpoint}/v1/traces`, OTLP over HTTP), context travels in W3C `traceparent`
 * headers and, through BullMQ's telemetry, inside jobs, so a request, its turn job and the
 * provider call share one trace id. Off unless called (OTEL_EXPORTER_OTLP_ENDPOINT); the SDK is
 * loaded only then, so processes without tracing do not pay its memory. Call before creating
 * queues and workers. Returns the flush-and-stop for shutdown.
 */
export async function startTracing(options: {
  service: string;
  endpoint?: string;
  processor?: SpanProcessor;
}): Promise<() => Promise<void>> {
  const [{ AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }, { resourceFromAttributes }, sdk, otel] =
    await Promise.all([
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/core'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace'),
      import('bullmq-otel'),
    ]);
  let processor = options.processor;
  if (!processor) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    const url = `${options.endpoint!.replace(/\/$/, '')}/v1/traces`;
    processor = new sdk.BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) });
  }
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ 'service.name': `chatq-${options.service}` }),
    spanProcessors: [processor],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  telemetry = new otel.BullMQOtel({ tracerName: TRACER });
  return () => provider.shutdown();
}

/** True once `startTracing` has run in this process. */
export function tracingEnabled(): boolean {
  return telemetry !== undefined;
}

/** chatq's tracer; a no-op one while tracing is off. */
export function tracer(): Tracer {
  return trace.getTracer(TRACER);
}

/** BullMQ's telemetry hook for queues and workers when tracing is on, else nothing. */
export function queueTelemetry(): Telemetry | undefined {
  return telemetry;
}
