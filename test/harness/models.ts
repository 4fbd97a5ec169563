import type { ApiClient } from './http.ts';

/** Creates a mock-kind provider and an enabled model config on it; returns the config id. */
export async function createMockModel(
  admin: ApiClient,
  model: string,
  extra: Record<string, unknown> = {},
  providerOptions: Record<string, unknown> = {},
): Promise<string> {
  const provider = await admin.post('/api/v1/providers', {
    name: `mock-${model}`,
    kind: 'mock',
    options: providerOptions,
  });
  if (provider.status !== 201) throw new Error(`provider: ${provider.status} ${JSON.stringify(provider.body)}`);
  const config = await admin.post('/api/v1/model-configs', { provider_id: provider.body.provider.id, model, ...extra });
  if (config.status !== 201) throw new Error(`model config: ${config.status} ${JSON.stringify(config.body)}`);
  return config.body.model_config.id;
}

let slowModels = 0;

/** A mock model (on a provider of its own) whose replies take `latencyMs`; returns its config id. */
export function mockModel(admin: ApiClient, latencyMs: number): Promise<string> {
  return createMockModel(admin, `mock-${latencyMs}ms-${++slowModels}`, {}, { latency_ms: latencyMs });
}
