import { z } from 'zod';
import { Chat, ChatStatus, Message, QueuedMessage, Turn, TurnStatus, Usage } from './chats.ts';
import { ErrorBody, Validation } from './common.ts';
import {
  ChatEvent,
  ChatStatusChange,
  ChatStatusEvent,
  TurnFailedEvent,
  MessageCompletedEvent,
  MessageCreatedEvent,
  MessageDeltaEvent,
  MessageQueuedEvent,
  MessageUnqueuedEvent,
  TurnStatusEvent,
} from './events.ts';
import { ModelConfig } from './model-configs.ts';
import { Provider, ProviderKind } from './providers.ts';
import { UsageTotals } from './usage.ts';
import { Role, User, UserRateLimits } from './users.ts';

/**
 * The models an OpenAPI document shares as named components (`#/components/schemas/<id>`) instead
 * of repeating them inline in every operation. Registered once, when the contracts are loaded,
 * keeping the metadata (examples, descriptions) the schema already has.
 */
const COMPONENTS: Record<string, z.ZodType> = {
  Chat,
  ChatEvent,
  ChatStatus,
  ChatStatusChange,
  ChatStatusEvent,
  ErrorBody,
  TurnFailedEvent,
  Message,
  MessageCompletedEvent,
  MessageCreatedEvent,
  MessageDeltaEvent,
  MessageQueuedEvent,
  MessageUnqueuedEvent,
  ModelConfig,
  Provider,
  ProviderKind,
  QueuedMessage,
  Role,
  Turn,
  TurnStatus,
  TurnStatusEvent,
  Usage,
  UsageTotals,
  User,
  UserRateLimits,
  Validation,
};

for (const [id, schema] of Object.entries(COMPONENTS))
  z.globalRegistry.add(schema, { ...z.globalRegistry.get(schema), id });
