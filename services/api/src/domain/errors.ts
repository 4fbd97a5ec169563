import type { Validation } from '@chatq/contracts';

/**
 * An error the caller can act on. Routes and services throw these; the one error handler in
 * `http/errors.ts` turns them into `{message, detail?, validations?}` with `status`.
 */
export class AppError extends Error {
  readonly status: number;
  readonly detail?: string;
  readonly validations?: Validation[];
  /** When the caller may retry, in seconds; it goes out as the Retry-After header. */
  readonly retryAfterSeconds?: number;

  constructor(status: number, message: string, detail?: string, validations?: Validation[]) {
    super(message);
    this.status = status;
    this.detail = detail;
    this.validations = validations;
    this.name = new.target.name;
  }
}

/** `tokenRejected`: the request carried a bearer token that is not valid (not merely no token). */
export class UnauthorizedError extends AppError {
  readonly tokenRejected: boolean;

  constructor(tokenRejected: boolean) {
    super(401, 'Unauthorized.');
    this.tokenRejected = tokenRejected;
  }
}

export class ForbiddenError extends AppError {
  constructor() {
    super(403, 'Forbidden.');
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(404, message);
  }
}

export class RouteNotFoundError extends NotFoundError {
  constructor() {
    super('Route not found.');
  }
}

/** The path exists, not with this method; `allow` lists the methods it has (the Allow header). */
export class MethodNotAllowedError extends AppError {
  readonly allow: readonly string[];

  constructor(allow: readonly string[]) {
    super(405, 'Method not allowed.');
    this.allow = allow;
  }
}

export class ConflictError extends AppError {
  constructor(message: string, detail?: string) {
    super(409, message, detail);
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, detail?: string, validations?: Validation[]) {
    super(400, message, detail, validations);
  }
}

export class InvalidModelConfigError extends BadRequestError {
  constructor() {
    super('Invalid model config ID.');
  }
}

export class ChatNotFoundError extends NotFoundError {
  constructor() {
    super('Chat not found.');
  }
}

/** The OpenAI facade's `model` names no usable model config (OpenAI's `model_not_found`). */
export class ModelNotFoundError extends NotFoundError {
  constructor() {
    super('Model not found.');
  }

  override readonly detail = 'No enabled model config has this id or display name; GET /openai/v1/models lists them.';
}

export class ServiceUnavailableError extends AppError {
  constructor(message: string) {
    super(503, message);
  }
}

/** A server chatq called for the caller (an MCP server) answered with an error; `detail` says which. */
export class BadGatewayError extends AppError {
  constructor(message: string, detail: string) {
    super(502, message, detail);
  }
}

export class GatewayTimeoutError extends AppError {
  constructor(message: string) {
    super(504, message);
  }
}

export class QueueFullError extends AppError {
  constructor() {
    super(429, 'Message queue is full.');
  }
}

/** The turn's worst-case cost does not fit the caller's spend limit. */
export class SpendLimitError extends AppError {
  constructor() {
    super(402, 'Spend limit reached.');
  }
}

export class NotInterruptibleError extends ConflictError {
  constructor() {
    super('Chat is not in an interruptible state.');
  }
}

export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super(422, 'Idempotency key reused with different parameters.');
  }
}

export class IdempotencyKeyInFlightError extends ConflictError {
  // Most requests finish well within a second; the retry then gets the recorded response.
  override readonly retryAfterSeconds = 1;

  constructor() {
    super('A request with this Idempotency-Key is still in progress.', 'Retry once it has finished.');
  }
}

export class ChatArchivedError extends BadRequestError {
  constructor() {
    super('Cannot modify an archived chat.');
  }
}

export class RateLimitedError extends AppError {
  override readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super(429, 'Rate limit exceeded.');
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Redis refuses writes (at its `maxmemory` under `noeviction`): a turn started now could neither be
 * queued nor streamed, so turn-starting requests are refused before their transaction and change
 * nothing. Turns committed earlier wait in the outbox and run once Redis has room.
 */
export class QueueOutOfMemoryError extends AppError {
  // Room comes back when workers drain jobs or an operator acts; a few seconds is a fair pause.
  override readonly retryAfterSeconds = 5;

  constructor() {
    super(503, 'Queue storage is full; no turn was started. Retry later.');
  }
}

/** A user holds as many open event streams on this process as it allows (MAX_STREAMS_PER_USER). */
export class TooManyStreamsError extends AppError {
  // A slot frees when one of the caller's streams closes, which the server cannot foresee.
  override readonly retryAfterSeconds = 5;

  constructor() {
    super(429, 'Too many open event streams.');
  }
}

/**
 * A broken promise inside chatq, not something the caller did: e.g. a chatq_* function answered
 * with a refusal code or a shape this build does not know. The error handler answers 500 with
 * nothing of it, and logs `source` (the function) and `reason` (what was wrong). Neither may carry
 * user content: the reason names fields and codes, never values.
 */
export class InternalError extends Error {
  readonly source: string;
  readonly reason: string;

  constructor(source: string, reason: string) {
    super(`${source}: ${reason}`);
    this.source = source;
    this.reason = reason;
    this.name = new.target.name;
  }
}
