import type { ApiClient } from '../harness/http.ts';
import { eventually } from '../harness/stack.ts';

let models = 0;

/** A `mock` model whose replies take `latencyMs`; returns its model config id. */
export async function mockModel(admin: ApiClient, latencyMs: number): Promise<string> {
  const name = `mock-${latencyMs}ms-${++models}`;
  const provider = await admin.post('/api/v1/providers', { name, kind: 'mock', options: { latency_ms: latencyMs } });
  if (provider.status !== 201) throw new Error(`provider: ${provider.status} ${JSON.stringify(provider.body)}`);
  const model = await admin.post('/api/v1/model-configs', { provider_id: provider.body.provider.id, model: name });
  if (model.status !== 201) throw new Error(`model config: ${model.status} ${JSON.stringify(model.body)}`);
  return model.body.model_config.id;
}

/** Waits until the turn's status is one of `statuses`, and returns the turn. */
export function turnReaches(
  client: ApiClient,
  chatId: string,
  turnId: string,
  statuses: string[],
  timeoutMs = 15_000,
): Promise<any> {
  return eventually(
    async () => {
      const res = await client.get(`/api/v1/chats/${chatId}/turns/${turnId}`);
      return statuses.includes(res.body?.turn?.status) ? res.body.turn : undefined;
    },
    { timeoutMs, what: `turn ${turnId} to be ${statuses.join(' or ')}` },
  );
}
