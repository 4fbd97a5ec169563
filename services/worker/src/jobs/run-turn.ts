import type { ChatEvent, TurnJob } from '@chatq/contracts';
import {
  afterTurnEvents,
  type ChatEventLog,
  chatStatusEvent,
  toChat,
  toMessage,
  toTurn,
  turnStatusEvent,
} from '@chatq/chat-core';
import { isDatabaseUnavailable, type Logger, type SecretBox } from '@chatq/platform';
import { UnrecoverableError, type Job } from 'bullmq';
import { randomUUID } from 'node:crypto';
import type { TurnAborts } from '../control/turn-aborts.ts';
import type { AfterTurn, Claim, Finish, TurnsRepository } from '../db/turns.repository.ts';
import { TurnEventWriter } from '../events/turn-events.ts';
import { classifyError } from '../llm/classify.ts';
import { describeProviderError } from '../llm/log-error.ts';
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
  events: ChatEventLog;
  aborts: TurnAborts;
  /** Enqueues the turn of a queued message that started when this one ended (after commit). */
  enqueue: (job: TurnJob) => Promise<void>;
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

/** Events of a chat whose turn just ended; the next queued message may have started. */
function endedEvents(
  chatId: string,
  turnId: string,
  finish: Exclude<Finish, { outcome: 'superseded' | 'stale' }>,
  error: string,
): ChatEvent[] {
  const after = afterTurn(finish);
  if (finish.outcome === 'completed') {
    const message = toMessage(finish.message);
    return [
      { type: 'message.created', data: { message } },
      { type: 'message.completed', data: { turn_id: turnId, message_id: message.id, interrupted: false } },
      turnStatusEvent(chatId, turnId, 'completed'),
      ...afterTurnEvents(after),
    ];
  }
  return [
    { type: 'error', data: { chat_id: chatId, turn_id: turnId, message: error } },
    turnStatusEvent(chatId, turnId, 'failed', error),
    ...afterTurnEvents(after),
  ];
}

function afterTurn(after: AfterTurn) {
  return {
    chat: toChat(after.chat),
    ...(after.next ? { next: { message: toMessage(after.next.message), turn: toTurn(after.next.turn) } } : {}),
  };
}

/**
 * Runs one assistant turn: claim it (only if still current), call the chat's *current* model,
 * then persist the reply only if the turn still owns the chat. Retryable provider errors go back to
 * BullMQ with a backoff; anything else, or the last attempt, fails the turn with a readable error.
 * The reply streams to the chat's event log as it is produced; an interrupt or an edit stops the
 * provider call through the turn's AbortSignal (the API has already recorded the outcome). When the
 * turn ends, the chat's next queued message starts and its job is enqueued here.
 */
export function createTurnProcessor(deps: RunTurnDeps) {
  /** Records how a turn ended and hands the next queued message's turn to the queue. */
  async function ended(
    writer: TurnEventWriter,
    chatId: string,
    turnId: string,
    finish: Finish,
    log: Logger,
    error = '',
  ) {
    if (finish.outcome !== 'completed' && finish.outcome !== 'failed') return writer.flush();
    await writer.end(endedEvents(chatId, turnId, finish, error));
    const next = finish.next?.turn;
    if (next) {
      await deps
        .enqueue({ turn_id: next.id, chat_id: chatId, generation: Number(next.generation) })
        .catch((err: unknown) => log.warn({ err, turn_id: next.id }, 'enqueue failed; the outbox relay will'));
    }
  }

  return async (job: Job<TurnJob>): Promise<TurnJobResult> => {
    const { turn_id, chat_id } = job.data;
    const log = deps.logger.child({ job_id: job.id, chat_id, turn_id });
    const stop = deps.aborts.register(turn_id);
    try {
      return await run(job, stop, log);
    } finally {
      stop.release();
    }
  };

  async function run(job: Job<TurnJob>, stop: ReturnType<TurnAborts['register']>, log: Logger): Promise<TurnJobResult> {
    const { turn_id, chat_id } = job.data;
    const claimId = randomUUID();
    const claim = await deps.turns.claim(turn_id, claimId, deps.maxTurnAttempts);
    if (claim.outcome === 'failed') {
      const writer = new TurnEventWriter(
        deps.events,
        { chatId: chat_id, ownerId: claim.owner_id, turn: { id: turn_id, generation: job.data.generation } },
        () => {},
        log,
      );
      await ended(writer, chat_id, turn_id, claim, log, claim.error);
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
      await ended(writer, chat_id, turn_id, finish, log, error);
      return finish.outcome;
    };

    const elapsed = Date.now() - Date.parse(claim.turn.started_at);
    const remaining = deps.turnDeadlineMs - elapsed;
    if (remaining <= 0) {
      const outcome = await fail('turn deadline exceeded');
      throw new UnrecoverableError(`turn deadline exceeded (${outcome})`);
    }

    // A retry starts the reply over: `running` again tells clients to drop what they were streamed.
    writer.start([turnStatusEvent(chat_id, turn_id, 'running'), chatStatusEvent(toChat(claim.chat))]);
    const signal = AbortSignal.any([AbortSignal.timeout(Math.min(deps.providerTimeoutMs, remaining)), stop.signal]);
    const started = performance.now();
    let replied = false;
    try {
      const reply = await deps.callModel({
        ...toModelCall(claim, deps.secrets, signal),
        onDelta: (text) => writer.delta(text),
      });
      replied = true;
      const cost = costMicros(reply.usage, claim.model);
      const finish = await deps.turns.complete(turn_id, claimId, reply.text, reply.usage, cost);
      await ended(writer, chat_id, turn_id, finish, log);
      deps.metrics?.turnFinished({
        provider: claim.provider.kind,
        model: claim.model.model,
        outcome: finish.outcome,
        seconds: (performance.now() - started) / 1000,
        usage: reply.usage,
        costMicros: cost,
      });
      log.info(
        {
          outcome: finish.outcome,
          model_config_id: claim.model.id,
          ms: Math.round(performance.now() - started),
          usage: reply.usage,
        },
        'turn finished',
      );
      return { outcome: finish.outcome };
    } catch (err) {
      // Losing Postgres while saving the reply is not the provider's fault: the outage wrapper retries.
      if (replied && isDatabaseUnavailable(err)) throw err;
      const stopped = stop.reason();
      if (stopped) {
        await writer.flush();
        log.info({ reason: stopped, ms: Math.round(performance.now() - started) }, 'provider call stopped');
        return { outcome: stopped };
      }
      const c = classifyError(err, claim.model.model);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      log.warn(
        { error: describeProviderError(err), kind: c.kind, retryable: c.retryable, attempt: job.attemptsMade + 1 },
        'provider call failed',
      );
      if (c.retryable && !lastAttempt) {
        await writer.flush();
        throw new RetryableTurnError(c.message, c.retryAfterMs, { cause: err });
      }
      const error = c.retryable ? `${c.message}; gave up after ${job.attemptsMade + 1} attempts` : c.message;
      const outcome = await fail(error);
      throw new UnrecoverableError(`${error} (${outcome})`);
    }
  }
}
