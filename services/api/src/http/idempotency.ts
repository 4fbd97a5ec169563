import { IDEMPOTENCY_HEADER, speaksOpenAI } from '@chatq/contracts';
import type { Logger, SecretBox, Sql } from '@chatq/platform';
import type { FastifyInstance, FastifyReply, RouteHandlerMethod } from 'fastify';
import type { IdempotencyRepository } from '../db/idempotency.repository.ts';
import { transaction } from '../db/transaction.ts';
import type { ChatReplies } from '../domain/chats.service.ts';
import {
  AppError,
  ChatNotFoundError,
  IdempotencyKeyInFlightError,
  IdempotencyKeyReusedError,
} from '../domain/errors.ts';
import { IDEMPOTENT_METHODS, idempotencyKeyOf, isRecordable, requestFingerprint } from '../domain/idempotency.ts';
import { appErrorBody } from './errors.ts';

/** Set on a response that repeats a recorded one. */
export const REPLAYED_HEADER = 'idempotent-replayed';

export interface IdempotencyOptions {
  /** The pool; the handler's queries join the transaction opened on it (see `scopedSql`). */
  sql: Sql;
  keys: IdempotencyRepository;
  secrets: SecretBox;
  ttlSeconds: number;
  pruneIntervalMs: number;
  logger: Logger;
}

interface Outcome {
  status: number;
  body: unknown;
  replayed: boolean;
}

/**
 * Stripe-style Idempotency-Key on every POST and PATCH route, added to each handler as it is
 * registered. With a key, one transaction replays the recorded response if there is one (422 if
 * the parameters differ), or else takes the key (409 while another request holds it), runs the
 * handler in a savepoint and records its response before committing: a change and its record
 * commit together or not at all, and what the change announces (events, aborts, jobs: see
 * `afterCommit`) goes out after that commit, before the response. Without a key the handler runs
 * untouched.
 */
export function registerIdempotency(app: FastifyInstance, options: IdempotencyOptions): void {
  const { sql, keys, secrets, ttlSeconds } = options;

  async function run(
    userId: string,
    key: string,
    fingerprint: Buffer,
    paramsChatId: string | undefined,
    execute: () => Promise<Outcome>,
  ) {
    return transaction(sql, async (): Promise<Outcome> => {
      const claim = await keys.claim(userId, key);
      if (claim.busy) throw new IdempotencyKeyInFlightError();
      if (claim.record) {
        if (!claim.record.fingerprint.equals(fingerprint)) throw new IdempotencyKeyReusedError();
        const body: unknown = JSON.parse(secrets.open(claim.record.body));
        return { status: claim.record.status, body, replayed: true };
      }
      let outcome: Outcome;
      try {
        outcome = await transaction(sql, execute);
      } catch (err) {
        if (!(err instanceof AppError) || !isRecordable(err.status)) throw err;
        outcome = { status: err.status, body: appErrorBody(err), replayed: false };
      }
      if (isRecordable(outcome.status)) {
        const body = secrets.seal(JSON.stringify(outcome.body));
        const chatId = paramsChatId ?? chatIn(outcome.body);
        await keys.insert(userId, key, { fingerprint, status: outcome.status, body }, ttlSeconds, chatId ?? null);
      }
      return outcome;
    });
  }

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // The OpenAI facade does not honour keys (see `isIdempotent`).
    if (!methods.some((m) => IDEMPOTENT_METHODS.has(m)) || speaksOpenAI(route.url)) return;
    const handler = route.handler;
    const wrapped: RouteHandlerMethod = async function (request, reply) {
      const key = idempotencyKeyOf(request.headers[IDEMPOTENCY_HEADER]);
      if (key === undefined || !request.user) return handler.call(this, request, reply);
      const fingerprint = requestFingerprint(request.method, request.url, request.body);
      const chatId = (request.params as { chat_id?: string } | undefined)?.chat_id;
      const outcome = await run(request.user.id, key, fingerprint, chatId, async () => {
        const body = await captureReply(reply, () => handler.call(this, request, reply));
        return { status: reply.statusCode, body, replayed: false };
      });
      if (outcome.replayed) void reply.header(REPLAYED_HEADER, 'true');
      return reply.code(outcome.status).send(outcome.body);
    };
    route.handler = wrapped;
  });

  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    timer = setInterval(() => void prune(keys, options.logger), options.pruneIntervalMs);
    timer.unref();
  });
  app.addHook('onClose', async () => clearInterval(timer));
}

/**
 * The chat a response carries (`{chat: {id}}`, as creating one answers): a request without a
 * `chat_id` in its path that created a chat is about that chat.
 */
function chatIn(body: unknown): string | undefined {
  const chat = (body as { chat?: { id?: unknown } } | null | undefined)?.chat;
  return typeof chat?.id === 'string' ? chat.id : undefined;
}

/**
 * The recorded responses about a chat, which may quote its messages: a deleted chat's are replaced
 * by the 404 a request about it now gets, so replaying their keys answers `Chat not found.`.
 */
export function chatReplies(keys: IdempotencyRepository, secrets: SecretBox): ChatReplies {
  const gone = new ChatNotFoundError();
  return {
    erase: (ownerId, chatId) =>
      keys.replaceForChat(ownerId, chatId, {
        status: gone.status,
        body: secrets.seal(JSON.stringify(appErrorBody(gone))),
      }),
  };
}

/**
 * Runs a handler and returns its payload without sending it, since the response may only go out
 * after the commit: what it returns, or what it passes to `reply.send` (handlers may do either).
 * A handler that sends usually returns `reply`, which is thenable and settles only once the
 * response is out, so the payload is taken as soon as `send` is called rather than awaited.
 */
async function captureReply(reply: FastifyReply, run: () => unknown): Promise<unknown> {
  let captured!: (payload: unknown) => void;
  const sent = new Promise<unknown>((resolve) => {
    captured = resolve;
  });
  reply.send = (payload?: unknown) => {
    captured(payload);
    return reply;
  };
  try {
    const handled = Promise.resolve(run());
    // Settles (or fails) with the real response later; its outcome is not ours to report.
    handled.catch(() => {});
    return await Promise.race([sent, handled]);
  } finally {
    // The own property shadowed the prototype's send; removing it restores it.
    delete (reply as Partial<FastifyReply>).send;
  }
}

const PRUNE_BATCH = 1_000;

/** Deletes expired keys in batches, so one pass never holds a long transaction. */
async function prune(keys: IdempotencyRepository, logger: Logger): Promise<void> {
  try {
    let total = 0;
    for (let n = PRUNE_BATCH; n === PRUNE_BATCH; total += n) n = await keys.pruneExpired(PRUNE_BATCH);
    if (total > 0) logger.debug({ pruned: total }, 'expired idempotency keys pruned');
  } catch (err) {
    logger.warn({ err }, 'pruning idempotency keys failed; will retry');
  }
}
