import { tracer } from '@chatq/platform';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ModelCaller } from './llm/types.ts';

/**
 * Wraps a model caller in a client span (OpenTelemetry GenAI names), a child of the turn job's span
 * and so of the request that queued it. A no-op tracer makes this free while tracing is off.
 */
export function traceModelCalls(caller: ModelCaller): ModelCaller {
  return (call) =>
    tracer().startActiveSpan(
      `chat ${call.model.name}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'gen_ai.system': call.provider.kind, 'gen_ai.request.model': call.model.name },
      },
      async (span) => {
        try {
          const reply = await caller(call);
          span.setAttributes({
            'gen_ai.usage.input_tokens': reply.usage.input_tokens,
            'gen_ai.usage.output_tokens': reply.usage.output_tokens,
          });
          return reply;
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw err;
        } finally {
          span.end();
        }
      },
    );
}
