import type { ErrorBody } from '@chatq/contracts';
import { isDatabaseUnavailable } from '@chatq/platform';
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, InternalError, RateLimitedError } from '../domain/errors.ts';

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

/** The only place errors become HTTP responses. 5xx details never leave the process. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send({ message: 'Route not found.' } satisfies ErrorBody);
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof AppError) {
      if (err instanceof RateLimitedError) void reply.header('retry-after', String(err.retryAfterSeconds));
      return reply.code(err.status).send(appErrorBody(err));
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      return reply.code(400).send({
        message: 'Invalid request.',
        validations: err.validation.map((v) => ({
          field: [err.validationContext, ...v.instancePath.split('/').filter(Boolean)].join('.'),
          detail: v.message ?? 'is invalid',
        })),
      } satisfies ErrorBody);
    }
    if (err instanceof InternalError) {
      request.log.error({ err, source: err.source, reason: err.reason }, 'internal error');
      return reply.code(500).send({ message: 'Internal server error.' } satisfies ErrorBody);
    }
    if (isDatabaseUnavailable(err)) {
      request.log.warn({ err }, 'database unavailable');
      return reply.code(503).send({ message: 'Database unavailable.' } satisfies ErrorBody);
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message =
        FRAMEWORK_MESSAGES[err.code] ?? (err instanceof SyntaxError ? 'Malformed JSON body.' : err.message);
      const body: ErrorBody = { message };
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') body.detail = `The limit is ${app.initialConfig.bodyLimit} bytes.`;
      return reply.code(status).send(body);
    }
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ message: 'Internal server error.' } satisfies ErrorBody);
  });
}
