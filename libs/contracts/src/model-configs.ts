import { z } from 'zod';
import { MAX_SYSTEM_PROMPT_CHARS } from './chats.ts';
import { Page, RequestBody, Text, Timestamp, Uuid } from './common.ts';
import { EXAMPLE } from './examples.ts';
import { ModelOptions, ModelOptionsInput } from './providers.ts';

export const ModelConfig = z
  .object({
    id: Uuid,
    provider_id: Uuid,
    model: z.string(),
    display_name: z.string().nullable(),
    enabled: z.boolean(),
    is_default: z.boolean(),
    context_limit: z.number().int().nullable(),
    max_output_tokens: z.number().int().nullable(),
    input_price_per_mtok: z.number().nullable(),
    output_price_per_mtok: z.number().nullable(),
    options: ModelOptions,
    /** Instructions the admin sets for every chat on this model, sent before the chat's own. */
    system_prompt: z.string().nullable(),
    /** Most model calls one turn may make (tool round trips included) before it stops. */
    max_steps: z.number().int(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({
    examples: [
      {
        id: EXAMPLE.modelConfigId,
        provider_id: EXAMPLE.providerId,
        model: 'gpt-4o-mini',
        display_name: 'GPT-4o mini',
        enabled: true,
        is_default: true,
        context_limit: 128_000,
        max_output_tokens: 4_096,
        input_price_per_mtok: 0.15,
        output_price_per_mtok: 0.6,
        options: { temperature: 0.7 },
        system_prompt: 'Answer in the language the user writes in.',
        max_steps: 8,
        created_at: EXAMPLE.createdAt,
        updated_at: EXAMPLE.createdAt,
      },
    ],
  });
export type ModelConfig = z.infer<typeof ModelConfig>;

/** Model calls a turn may make when its model config does not say (the column's default too). */
export const DEFAULT_MAX_STEPS = 8;

const Fields = {
  model: z.string().min(1).max(200),
  display_name: z.string().min(1).max(200),
  enabled: z.boolean(),
  is_default: z.boolean(),
  context_limit: z.number().int().min(1).max(100_000_000),
  max_output_tokens: z.number().int().min(1).max(10_000_000),
  input_price_per_mtok: z.number().min(0).max(1_000_000),
  output_price_per_mtok: z.number().min(0).max(1_000_000),
  options: ModelOptionsInput,
  system_prompt: Text(MAX_SYSTEM_PROMPT_CHARS),
  max_steps: z.number().int().min(1).max(64),
};

export const CreateModelConfigBody = RequestBody({
  provider_id: Uuid,
  model: Fields.model,
  display_name: Fields.display_name.optional(),
  enabled: Fields.enabled.default(true),
  is_default: Fields.is_default.default(false),
  context_limit: Fields.context_limit.optional(),
  max_output_tokens: Fields.max_output_tokens.optional(),
  input_price_per_mtok: Fields.input_price_per_mtok.optional(),
  output_price_per_mtok: Fields.output_price_per_mtok.optional(),
  options: Fields.options.optional(),
  system_prompt: Fields.system_prompt.optional(),
  max_steps: Fields.max_steps.default(DEFAULT_MAX_STEPS),
}).meta({
  examples: [
    {
      provider_id: EXAMPLE.providerId,
      model: 'gpt-4o-mini',
      display_name: 'GPT-4o mini',
      enabled: true,
      is_default: true,
      input_price_per_mtok: 0.15,
      output_price_per_mtok: 0.6,
      max_steps: 8,
    },
  ],
});
export type CreateModelConfigBody = z.infer<typeof CreateModelConfigBody>;

/** Absent fields are unchanged; `null` clears an optional one. */
export const UpdateModelConfigBody = RequestBody({
  model: Fields.model.optional(),
  display_name: Fields.display_name.nullable().optional(),
  enabled: Fields.enabled.optional(),
  is_default: Fields.is_default.optional(),
  context_limit: Fields.context_limit.nullable().optional(),
  max_output_tokens: Fields.max_output_tokens.nullable().optional(),
  input_price_per_mtok: Fields.input_price_per_mtok.nullable().optional(),
  output_price_per_mtok: Fields.output_price_per_mtok.nullable().optional(),
  options: Fields.options.optional(),
  system_prompt: Fields.system_prompt.nullable().optional(),
  max_steps: Fields.max_steps.optional(),
}).meta({
  examples: [
    { display_name: null, enabled: false },
    { system_prompt: null, max_steps: 16 },
  ],
});
export type UpdateModelConfigBody = z.infer<typeof UpdateModelConfigBody>;

export const ModelConfigResponse = z.object({ model_config: ModelConfig });
export const ModelConfigList = Page(ModelConfig);
