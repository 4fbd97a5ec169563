import type { ProviderCheckJob, ProviderTestResult } from '@chatq/contracts';
import type { Logger, SecretBox } from '@chatq/platform';
import type { Job } from 'bullmq';
import type { ProvidersRepository } from '../db/providers.repository.ts';
import { classifyError } from '../llm/classify.ts';
import { providerTarget } from '../llm/provider-target.ts';
import type { ModelCaller } from '../llm/types.ts';

export interface CheckProviderDeps {
  providers: ProvidersRepository;
  secrets: SecretBox;
  callModel: ModelCaller;
  logger: Logger;
  providerTimeoutMs: number;
}

/** The prompt of a check: any reply at all, one token long, proves the provider answers. */
const PING = [{ role: 'user' as const, content: 'Reply with one word.' }];

/**
 * Runs a provider check: a one-token call with the provider's real key, opened here in the worker.
 * A provider error is the check's answer, not a job failure, so it is returned classified (and
 * free of secrets) for the API to show.
 */
export function createProviderCheckProcessor(deps: CheckProviderDeps) {
  return async (job: Job<ProviderCheckJob>): Promise<ProviderTestResult> => {
    const { provider_id, model: requested, deadline } = job.data;
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { ok: false, latency_ms: 0, error: 'the check expired before a worker took it' };
    const target = await deps.providers.findCheckTarget(provider_id, requested ?? null);
    if (!target) return { ok: false, latency_ms: 0, error: 'provider not found' };
    if (!target.model) {
      return { ok: false, latency_ms: 0, error: 'provider has no enabled model config; pass a model to test' };
    }
    const model = target.model;
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    try {
      await deps.callModel({
        provider: providerTarget(target, deps.secrets),
        model: { name: model, maxOutputTokens: 1, contextLimit: null, options: target.model_options },
        messages: PING,
        signal: AbortSignal.timeout(Math.min(deps.providerTimeoutMs, remaining)),
      });
      deps.logger.info({ provider_id, model, ms: latency() }, 'provider check passed');
      return { ok: true, latency_ms: latency(), model };
    } catch (err) {
      const c = classifyError(err, model);
      deps.logger.info({ provider_id, model, kind: c.kind }, 'provider check failed');
      return { ok: false, latency_ms: latency(), model, error: c.message };
    }
  };
}
