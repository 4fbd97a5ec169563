import type { TurnJob } from '@chatq/contracts';
import { isDatabaseUnavailable, type Logger, type SecretBox } from '@chatq/platform';
import { UnrecoverableError, type Job } from 'bullmq';
import { randomUUID } from 'node:crypto';
import type { Claim, TurnsRepository } from '../db/turns.repository.ts';
import { classifyError } from '../llm/classify.ts';
import type { ModelCall, ModelCaller } from '../llm/types.ts';
import type { TurnRecorder } from '../metrics.ts';
import { RetryableTurnError } from './backoff.ts';
import { costMicros } from './cost.ts';

export interface RunTurnDeps {
  turns: TurnsRepository;
  secrets: SecretBox;
  callModel: ModelCaller;
  logger: Logger;
  maxTurnAttempts: number;
  providerTimeoutMs: number;
  turnDeadlineMs: number;
  metrics?: TurnRecorder;
}

/** What a job did, kept as the BullMQ return value for operators. */
export type TurnJobResult = { outcome: string; detail?: string };

type Claimed = Extract<Claim, { outcome: 'claimed' }>;

function toModelCall(claim: Claimed, secrets: SecretBox, signal: AbortSignal): ModelCall {
  const { provider, model } = claim;
  return {
    provider: {
      kind: provider.kind,
      baseUrl: provider.base_url,
      apiKey: provider.api_key ? secrets.open(Buffer.from(provider.api_key, 'base64')) : null,
      options: provider.options,
    },
    model: {
      name: model.model,
      maxOutputTokens: model.max_output_tokens,
      contextLimit: model.context_limit,
      options: model.options,
    },
    messages: claim.history,
    signal,
  };
}

/**
 * Runs one assistant turn: claim it (only if still current), call the chat's *current* model,
 * then persist the reply only if the turn still owns the chat. Retryable provider errors go back to
 * BullMQ with a backoff; anything else, or the last attempt, fails the turn with a readable error.
 */
export function createTurnProcessor(deps: RunTurnDeps) {
  return async (job: Job<TurnJob>): Promise<TurnJobResult> => {
    const { turn_id, chat_id } = job.data;
    const log = deps.logger.child({ job_id: job.id, chat_id, turn_id });
    const claimId = randomUUID();
    const claim = await deps.turns.claim(turn_id, claimId, deps.maxTurnAttempts);
    if (claim.outcome !== 'claimed') {
      log.info({ outcome: claim.outcome }, 'turn not run');
      return { outcome: claim.outcome };
    }

    const elapsed = Date.now() - Date.parse(claim.turn.started_at);
    const remaining = deps.turnDeadlineMs - elapsed;
    if (remaining <= 0) {
      const outcome = await deps.turns.fail(turn_id, claimId, 'turn deadline exceeded');
      throw new UnrecoverableError(`turn deadline exceeded (${outcome})`);
    }

    const signal = AbortSignal.timeout(Math.min(deps.providerTimeoutMs, remaining));
    const started = performance.now();
    let replied = false;
    try {
      const reply = await deps.callModel(toModelCall(claim, deps.secrets, signal));
      replied = true;
      const cost = costMicros(reply.usage, claim.model);
      const outcome = await deps.turns.complete(turn_id, claimId, reply.text, reply.usage, cost);
      deps.metrics?.turnFinished({
        provider: claim.provider.kind,
        model: claim.model.model,
        outcome,
        seconds: (performance.now() - started) / 1000,
        usage: reply.usage,
        costMicros: cost,
      });
      log.info(
        { outcome, model_config_id: claim.model.id, ms: Math.round(performance.now() - started), usage: reply.usage },
        'turn finished',
      );
      return { outcome };
    } catch (err) {
      // Losing Postgres while saving the reply is not the provider's fault: the outage wrapper retries.
      if (replied && isDatabaseUnavailable(err)) throw err;
      const c = classifyError(err);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      log.warn({ err, kind: c.kind, retryable: c.retryable, attempt: job.attemptsMade + 1 }, 'provider call failed');
      if (c.retryable && !lastAttempt) throw new RetryableTurnError(c.message, c.retryAfterMs, { cause: err });
      const error = c.retryable ? `${c.message}; gave up after ${job.attemptsMade + 1} attempts` : c.message;
      const outcome = await deps.turns.fail(turn_id, claimId, error);
      throw new UnrecoverableError(`${error} (${outcome})`);
    }
  };
}
