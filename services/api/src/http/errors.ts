import { type ErrorBody, openAIErrorOf, speaksOpenAI, type Validation } from '@chatq/contracts';
import { isDatabaseUnavailable } from '@chatq/platform';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaValidationError,
} from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import {
  AppError,
  InternalError,
  MethodNotAllowedError,
  RouteNotFoundError,
  UnauthorizedError,
} from '../domain/errors.ts';
import type { AllowedMethods } from './allowed-methods.ts';

/** Fastify's own client errors, reworded for API callers. */
const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'Malformed JSON body.',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Request body must not be empty when content-type is application/json.',
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is too large.',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported content type; send application/json.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body.',
};

/** The body an AppError answers with. */
export function appErrorBody(err: AppError): ErrorBody {
  const body: ErrorBody = { message: err.message };
  if (err.detail) body.detail = err.detail;
  if (err.validations) body.validations = err.validations;
  return body;
}

/** The RFC 6750 challenge every 401 carries; `invalid_token` says the token sent was refused. */
function bearerChallenge(err: UnauthorizedError): string {
  return err.tokenRejected ? 'Bearer realm="chatq", error="invalid_token"' : 'Bearer realm="chatq"';
}

/** Zod's issues as validations, one per field: an object's unknown keys are one issue naming them all. */
function validationsOf(context: string | undefined, issues: FastifySchemaValidationError[]): Validation[] {
  return issues.flatMap((issue) => {
    const path = [context, ...issue.instancePath.split('/').filter(Boolean)];
    if (issue.keyword === 'unrecognized_keys') {
      const keys = (issue.params as { keys: string[] }).keys;
      return keys.map((key) => ({ field: [...path, key].join('.'), detail: 'is not a known field' }));
    }
    return [{ field: path.join('.'), detail: issue.message ?? 'is invalid' }];
  });
}

/**
 * Routes errors to `errorResponder`, the only place errors become HTTP responses. A request no
 * route matches is a 405 when its path has routes for other methods, else a 404.
 */
export function registerErrorHandling(app: FastifyInstance, routes: AllowedMethods): void {
  app.setNotFoundHandler(async (request) => {
    const allow = routes.of(request.url);
    throw allow.length > 0 ? new MethodNotAllowedError(allow) : new RouteNotFoundError();
  });

  app.setErrorHandler(errorResponder(app.initialConfig.bodyLimit ?? 0));
}

/**
 * The one error handler (the app's, and fastify's `frameworkErrors` for a URL it cannot decode):
 * errors become HTTP responses here, in OpenAI's shape under `/openai/v1` and chatq's elsewhere,
 * headers included (Retry-After, WWW-Authenticate, Allow come from the typed errors). 5xx details
 * never leave the process.
 */
export function errorResponder(bodyLimit: number) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    // The OpenAI facade's callers read OpenAI's error shape; everyone else reads chatq's.
    const send = (status: number, body: ErrorBody) =>
      reply.code(status).send(speaksOpenAI(request.url) ? openAIErrorOf(status, body) : body);
    if (err instanceof AppError) {
      if (err.retryAfterSeconds !== undefined) void reply.header('retry-after', String(err.retryAfterSeconds));
      if (err instanceof UnauthorizedError) void reply.header('www-authenticate', bearerChallenge(err));
      if (err instanceof MethodNotAllowedError) void reply.header('allow', err.allow.join(', '));
      return send(err.status, appErrorBody(err));
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      return send(400, {
        message: 'Invalid request.',
        validations: validationsOf(err.validationContext, err.validation),
      });
    }
    if (err instanceof InternalError) {
      request.log.error({ err, source: err.source, reason: err.reason }, 'internal error');
      return send(500, { message: 'Internal server error.' });
    }
    if (isDatabaseUnavailable(err)) {
      request.log.warn({ err }, 'database unavailable');
      return send(503, { message: 'Database unavailable.' });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message =
        FRAMEWORK_MESSAGES[err.code] ?? (err instanceof SyntaxError ? 'Malformed JSON body.' : err.message);
      const body: ErrorBody = { message };
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') body.detail = `The limit is ${bodyLimit} bytes.`;
      return send(status, body);
    }
    request.log.error({ err }, 'unhandled error');
    return send(500, { message: 'Internal server error.' });
  };
}
