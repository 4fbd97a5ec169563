import { z } from 'zod';
import { ProviderConfigError } from './errors.ts';

/**
 * The call options chatq understands, as admins write them in provider or model config `options`
 * (snake_case, like the rest of the API). Other keys belong to other layers (`latency_ms` is the
 * mock's) and are ignored here.
 */
const CallOptions = z.object({
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(1).optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).optional(),
  seed: z.number().int().optional(),
  /** Extra HTTP headers, for gateways such as OpenRouter that want them. */
  headers: z.record(z.string(), z.string()).optional(),
  /** Which OpenAI API the `openai` kind speaks: Chat Completions (default) or Responses. */
  api: z.enum(['chat', 'responses']).optional(),
});

/** Settings in the AI SDK's vocabulary, plus the two that shape the request rather than the generation. */
export interface CallSettings {
  temperature?: number;
  topP?: number;
  topK?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  stopSequences?: string[];
  seed?: number;
  headers?: Record<string, string>;
  api?: 'chat' | 'responses';
}

/**
 * Merges provider options with model options (the model's win) into AI SDK settings. A value of the
 * wrong type is a configuration error, not something to send the provider.
 */
export function callSettings(
  providerOptions: Record<string, unknown>,
  modelOptions: Record<string, unknown>,
): CallSettings {
  const parsed = CallOptions.safeParse({ ...providerOptions, ...modelOptions });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProviderConfigError(`invalid option ${issue.path.join('.')}: ${issue.message}`);
  }
  const o = parsed.data;
  const settings: CallSettings = {
    temperature: o.temperature,
    topP: o.top_p,
    topK: o.top_k,
    presencePenalty: o.presence_penalty,
    frequencyPenalty: o.frequency_penalty,
    stopSequences: typeof o.stop === 'string' ? [o.stop] : o.stop,
    seed: o.seed,
    headers: o.headers,
    api: o.api,
  };
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
}
