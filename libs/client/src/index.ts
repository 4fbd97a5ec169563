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
import type * as contracts from '@chatq/contracts';
// Aliases rather than `export type { Chat }`: the contracts export a schema and a type under one
// name, and the bundled declarations must not promise the schema (the JS exports none).
/** The contract's own types, for code that handles what the client returns. */
export type Chat = contracts.Chat;
export type ChatEvent = contracts.ChatEvent;
export type ChatEventType = contracts.ChatEventType;
export type ErrorBody = contracts.ErrorBody;
export type Message = contracts.Message;
export type ModelConfig = contracts.ModelConfig;
export type OperationId = contracts.OperationId;
export type Provider = contracts.Provider;
export type QueuedMessage = contracts.QueuedMessage;
export type Turn = contracts.Turn;
export type User = contracts.User;
export type Validation = contracts.Validation;
