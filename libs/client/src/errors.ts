import { ErrorBody } from '@chatq/contracts';

/**
 * An answer the route does not document as its own: every refusal (4xx) and server failure (5xx),
 * or anything else a proxy in between may answer. `body` is the API's error shape; an answer in
 * another format (a load balancer's HTML page) is kept as its text in `message`.
 */
export class ChatqApiError extends Error {
  /** The operation that was refused, e.g. `sendMessage`. */
  readonly operationId: string;
  readonly status: number;
  /** `message`, plus `detail` and one `validations` entry per refused field when they help. */
  readonly body: ErrorBody;
  /** The response headers: `Retry-After` (429, 503), `WWW-Authenticate` (401), `X-Request-Id`... */
  readonly headers: Headers;

  constructor(operationId: string, status: number, body: ErrorBody, headers: Headers) {
    super(`${operationId}: ${status} ${body.message}`);
    this.name = 'ChatqApiError';
    this.operationId = operationId;
    this.status = status;
    this.body = body;
    this.headers = headers;
  }

  /** Reads an error answer: the API's error body, or whatever else came back as its message. */
  static fromText(operationId: string, res: Response, text: string): ChatqApiError {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = ErrorBody.safeParse(json);
    const body = parsed.success ? parsed.data : { message: text || res.statusText };
    return new ChatqApiError(operationId, res.status, body, res.headers);
  }
}
