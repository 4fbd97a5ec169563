/**
 * The chatq API client: one typed method per operation of the route table in `@chatq/contracts`,
 * plus an event-stream reader that resumes dropped connections.
 */
export { ChatqClient, type ChatqClientOptions } from './client.ts';
export { ChatqApiError } from './errors.ts';
export { SseParser, type SseMessage } from './sse.ts';
export type {
  ChatqRequest,
  ChatqResponse,
  DocumentedStatus,
  Operation,
  Operations,
  PagedOperationId,
  PageItem,
  RequestOptions,
  ResponseBody,
  StreamEvent,
  StreamOptions,
} from './types.ts';
/** The contract's own types, for code that handles what the client returns. */
export type {
  Chat,
  ChatEvent,
  ChatEventType,
  ErrorBody,
  Message,
  ModelConfig,
  OperationId,
  Provider,
  QueuedMessage,
  Turn,
  User,
  Validation,
} from '@chatq/contracts';
