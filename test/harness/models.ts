import type { ChatqClient, ChatqRequest } from '@chatq/client';

type ModelConfigFields = Partial<ChatqRequest<'createModelConfig'>['body']>;
type ProviderOptions = ChatqRequest<'createProvider'>['body']['options'];

/** Creates a mock-kind provider and an enabled model config on it; returns the config id. */
export async function createMockModel(
  admin: ChatqClient,
  model: string,
  extra: ModelConfigFields = {},
  providerOptions: ProviderOptions = {},
): Promise<string> {
  const provider = await admin.createProvider({
    body: { name: `mock-${model}`, kind: 'mock', options: providerOptions },
  });
  const config = await admin.createModelConfig({ body: { provider_id: provider.body.provider.id, model, ...extra } });
  return config.body.model_config.id;
}

let slowModels = 0;

/** A mock model (on a provider of its own) whose replies take `latencyMs`; returns its config id. */
export function mockModel(admin: ChatqClient, latencyMs: number): Promise<string> {
  return createMockModel(admin, `mock-${latencyMs}ms-${++slowModels}`, {}, { latency_ms: latencyMs });
}

/**
 * Creates an openai-compatible provider named `name` on a fake (or real) server's origin (its API
 * under `/v1`) and a model config `model` on it; returns the config id.
 */
export async function createCompatibleModel(
  admin: ChatqClient,
  name: string,
  origin: string,
  model = 'fake-model',
): Promise<string> {
  const provider = await admin.createProvider({
    body: { name, kind: 'openai-compatible', base_url: `${origin}/v1` },
  });
  const config = await admin.createModelConfig({ body: { provider_id: provider.body.provider.id, model } });
  return config.body.model_config.id;
}
