/**
 * What the domain logs through: structured fields first, then the message. Fastify's request
 * loggers and pino's satisfy it as they are, so services take whichever the caller has without
 * depending on either.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}
