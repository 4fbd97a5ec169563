import { z } from 'zod';
import { Chat, ChatStatus, Message, Turn, TurnStatus, Usage } from './chats.ts';
import { ErrorBody, Validation } from './common.ts';
import { ModelConfig } from './model-configs.ts';
import { Provider, ProviderKind } from './providers.ts';
import { Role, User, UserRateLimits } from './users.ts';

/**
 * The models an OpenAPI document shares as named components (`#/components/schemas/<id>`) instead
 * of repeating them inline in every operation. Registered once, when the contracts are loaded.
 */
const COMPONENTS: Record<string, z.ZodType> = {
  Chat,
  ChatStatus,
  ErrorBody,
  Message,
  ModelConfig,
  Provider,
  ProviderKind,
  Role,
  Turn,
  TurnStatus,
  Usage,
  User,
  UserRateLimits,
  Validation,
};

for (const [id, schema] of Object.entries(COMPONENTS)) z.globalRegistry.add(schema, { id });
