import type { TurnJob } from '@chatq/contracts';
import { type ChatEventLog, chatStatusEvent, toChat, turnStatusEvent } from '@chatq/chat-core';
import { isDatabaseUnavailable, type Logger, type SecretBox } from '@chatq/platform';
import { type Job, UnrecoverableError } from 'bullmq';
import { randomUUID } from 'node:crypto';
import type { TurnAborts } from '../control/turn-aborts.ts';
import { ChatqResultError, type TurnsRepository } from '../db/turns.repository.ts';
import { TurnEventWriter } from '../events/turn-events.ts';
import { classifyError } from '../llm/classify.ts';
import { describeProviderError } from '../llm/log-error.ts';
import type { ModelCaller } from '../llm/types.ts';
import type { TurnRecorder } from '../metrics.ts';
import { RetryableTurnError } from './backoff.ts';
import { type LoopEnd, ModelCallError, runAgentLoop, SPEND_LIMIT_ERROR, type ToolDeps } from './agent-loop.ts';
import type { TurnEnder } from './turn-ended.ts';

/** What the turn processor runs on; worker.ts wires the real ones, tests may inject `callModel`. */
export interface RunTurnDeps {
  turns: TurnsRepository;
  secrets: SecretBox;
  callModel: ModelCaller;
  /** How the agent loop runs tools (webhooks, MCP), for a job's logger. */
  tools: (log: Logger) => ToolDeps;
  logger: Logger;
  /** WORKER_MAX_TURN_ATTEMPTS: the attempts a turn gets, counted as `turnAttempt` counts them. */
  maxTurnAttempts: number;
  providerTimeoutMs: number;
  turnDeadlineMs: number;
  events: ChatEventLog;
  aborts: TurnAborts;
  /** Records every end of a turn this processor sees, and starts the next queued message's job. */
  ended: TurnEnder;
  metrics?: TurnRecorder;
}

/** What a job did, kept as the BullMQ return value for operators. */
export type TurnJobResult = { outcome: string; detail?: string };

/**
 * Which attempt at its turn this job is making, the number WORKER_MAX_TURN_ATTEMPTS bounds. The
 * turn's claim count in Postgres is the truth: it counts provider retries and workers that crashed
 * or stalled mid-turn alike. Attempts that failed before they could claim (the claim itself threw)
 * never reach Postgres, so BullMQ's count of failed tries is the floor.
 */
export function turnAttempt(job: Pick<Job, 'attemptsMade'>, claims = 0): number {
  return Math.max(claims, job.attemptsMade + 1);
}

/**
 * Runs one assistant turn: claim it (only if still current), call the chat's *current* model,
 * then persist the reply only if the turn still owns the chat. Retryable provider errors go back to
 * BullMQ with a backoff; anything else, or the last attempt, fails the turn with a readable error.
 * The reply streams to the chat's event log as it is produced; an interrupt or an edit stops the
 * provider call through the turn's AbortSignal (the API has already recorded the outcome). Every
 * end of the turn goes through `deps.ended`.
 *
 * BullMQ's own `attempts` is only a ceiling (TURN_ATTEMPTS_CEILING): this processor decides
 * which attempt is the last, from `turnAttempt`, and then ends the job with an UnrecoverableError.
 */
export function createTurnProcessor(deps: RunTurnDeps) {
  return async (job: Job<TurnJob>): Promise<TurnJobResult> => {
    const { turn_id, chat_id } = job.data;
    const log = deps.logger.child({ job_id: job.id, chat_id, turn_id });
    const stop = deps.aborts.register(turn_id);
    try {
      return await run(job, stop, log);
    } catch (err) {
      throw lastTry(job, err);
    } finally {
      stop.release();
    }
  };

  /**
   * An error that escaped the turn (not the provider's: those are classified below) ends the job
   * for good when it is the turn's last attempt, or when retrying cannot help (a chatq_* result the
   * worker cannot read); BullMQ's `failed` handler then fails the turn. Counting BullMQ's tries is
   * enough here: an attempt that had claimed the turn is counted again by the next claim. A database
   * outage is left to the outage wrapper, which retries without using up an attempt.
   */
  function lastTry(job: Job<TurnJob>, err: unknown): unknown {
    if (err instanceof UnrecoverableError || isDatabaseUnavailable(err)) return err;
    if (err instanceof ChatqResultError || turnAttempt(job) >= deps.maxTurnAttempts) {
      const final = new UnrecoverableError(err instanceof Error ? err.message : String(err));
      final.cause = err;
      return final;
    }
    return err;
  }

  async function run(job: Job<TurnJob>, stop: ReturnType<TurnAborts['register']>, log: Logger): Promise<TurnJobResult> {
    const { turn_id, chat_id, generation } = job.data;
    const claimId = randomUUID();
    const claim = await deps.turns.claim(turn_id, claimId, deps.maxTurnAttempts);
    if (claim.outcome === 'failed') {
      await deps.ended({ chatId: chat_id, turn: { id: turn_id, generation }, finish: claim, error: claim.error }, log);
    }
    if (claim.outcome !== 'claimed') {
      log.info({ outcome: claim.outcome }, 'turn not run');
      return { outcome: claim.outcome };
    }

    const writer = new TurnEventWriter(
      deps.events,
      { chatId: chat_id, ownerId: claim.owner_id, turn: claim.turn },
      () => stop.stop('superseded'),
      log,
    );
    const fail = async (error: string) => {
      const finish = await deps.turns.fail(turn_id, claimId, error);
      await deps.ended({ chatId: chat_id, turn: claim.turn, finish, error, writer }, log);
      return finish.outcome;
    };

    // A resumed turn's deadline counts from its resumption: the caller's answer may take a while.
    const elapsed = Date.now() - Date.parse(claim.turn.resumed_at ?? claim.turn.started_at);
    const remaining = deps.turnDeadlineMs - elapsed;
    if (remaining <= 0) {
      const outcome = await fail('turn deadline exceeded');
      throw new UnrecoverableError(`turn deadline exceeded (${outcome})`);
    }

    // A retry starts the reply over: `running` again tells clients to drop what they were streamed.
    writer.start([turnStatusEvent(chat_id, turn_id, 'running'), chatStatusEvent(toChat(claim.chat))]);
    const deadline = Date.now() + remaining;
    const stepSignal = () =>
      AbortSignal.any([
        AbortSignal.timeout(Math.max(1, Math.min(deps.providerTimeoutMs, deadline - Date.now()))),
        stop.signal,
      ]);
    const started = performance.now();
    let end: LoopEnd;
    try {
      end = await runAgentLoop(
        { turns: deps.turns, secrets: deps.secrets, callModel: deps.callModel, ...deps.tools(log) },
        { claim, claimId, writer, stop: stop.signal, stepSignal, log },
      );
    } catch (err) {
      const stopped = stop.reason();
      if (stopped) {
        await writer.flush();
        log.info({ reason: stopped, ms: Math.round(performance.now() - started) }, 'turn stopped');
        return { outcome: stopped };
      }
      // Only a provider's error is judged here; anything else (the database's included) is the job's.
      if (!(err instanceof ModelCallError)) throw err;
      const cause = err.cause;
      const c = classifyError(cause, claim.model.model);
      const attempt = turnAttempt(job, claim.turn.attempts);
      log.warn(
        { error: describeProviderError(cause), kind: c.kind, retryable: c.retryable, attempt },
        'provider call failed',
      );
      if (c.retryable && attempt < deps.maxTurnAttempts) {
        await writer.flush();
        throw new RetryableTurnError(c.message, c.retryAfterMs, { cause });
      }
      // Names what the count covers: a turn whose worker crashed once gets one provider retry fewer.
      const error = c.retryable
        ? `${c.message}; gave up after ${attempt} attempts (retries and lost workers)`
        : c.message;
      const outcome = await fail(error);
      throw new UnrecoverableError(`${error} (${outcome})`);
    }

    if (end.kind === 'parked') return { outcome: end.parked.outcome };
    const { finish } = end;
    // The error chatq_reserve_step recorded on a turn its spend limit stopped before any call.
    const error = end.kind === 'spend_limit' && finish.outcome === 'failed' ? SPEND_LIMIT_ERROR : undefined;
    await deps.ended({ chatId: chat_id, turn: claim.turn, finish, error, writer }, log);
    if (end.kind !== 'completed') return { outcome: finish.outcome };
    deps.metrics?.turnFinished({
      provider: claim.provider.kind,
      model: claim.model.model,
      outcome: finish.outcome,
      seconds: (performance.now() - started) / 1000,
      usage: end.usage,
      costMicros: end.costMicros,
    });
    log.info(
      {
        outcome: finish.outcome,
        model_config_id: claim.model.id,
        ms: Math.round(performance.now() - started),
        steps: end.steps,
        usage: end.usage,
      },
      'turn finished',
    );
    return { outcome: finish.outcome };
  }
}
