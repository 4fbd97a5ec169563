import type { ChatqClient } from '@chatq/client';
import { SecretBox } from '@chatq/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal } from '../harness/refusal.ts';
import { startStack, TEST_SECRET_KEY, type TestStack } from '../harness/stack.ts';

let stack: TestStack;
let admin: ChatqClient;
let member: ChatqClient;

beforeAll(async () => {
  stack = await startStack({ worker: false });
  admin = stack.client;
  member = await stack.memberClient();
});
afterAll(() => stack.close());

const SECRET = 'sk-live-super-secret-key-123456';

describe('providers', () => {
  it('creates a provider without ever returning its key, and seals the key at rest', async () => {
    const res = await admin.createProvider({
      body: { name: 'openai-prod', kind: 'openai', api_key: SECRET, options: { temperature: 0.2 } },
    });
    expect(res.status).toBe(201);
    expect(res.body.provider).toMatchObject({
      name: 'openai-prod',
      kind: 'openai',
      base_url: null,
      has_api_key: true,
      options: { temperature: 0.2 },
    });
    expect(JSON.stringify(res.body)).not.toContain(SECRET);
    const list = await admin.listProviders();
    expect(JSON.stringify(list.body)).not.toContain(SECRET);

    const [row] = await stack.sql<
      { api_key: Buffer }[]
    >`select api_key from providers where id = ${res.body.provider.id}`;
    expect(Buffer.from(row!.api_key).toString('latin1')).not.toContain(SECRET);
    expect(new SecretBox(Buffer.from(TEST_SECRET_KEY, 'hex')).open(row!.api_key)).toBe(SECRET);
  });

  it('updates, clears the key, and soft-deletes', async () => {
    const created = await admin.createProvider({ body: { name: 'local', kind: 'openai-compatible', api_key: 'k' } });
    const params = { id: created.body.provider.id };
    const patched = await admin.updateProvider({
      params,
      body: { base_url: 'http://127.0.0.1:11434/v1', api_key: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.provider).toMatchObject({ base_url: 'http://127.0.0.1:11434/v1', has_api_key: false });
    expect((await admin.deleteProvider({ params })).status).toBe(204);
    expect((await refusal(admin.getProvider({ params }))).status).toBe(404);
    expect((await refusal(admin.deleteProvider({ params }))).status).toBe(404);
  });

  it('rejects an unknown kind and a duplicate name', async () => {
    // A kind outside the enum: the typed client would not send it.
    const bad = await stack.admin.post('/api/v1/providers', { name: 'x', kind: 'skynet' });
    expect(bad.status).toBe(400);
    expect(bad.body.validations[0].field).toBe('body.kind');
    await admin.createProvider({ body: { name: 'dup', kind: 'mock' } });
    expect((await refusal(admin.createProvider({ body: { name: 'dup', kind: 'mock' } }))).status).toBe(409);
  });

  it('is admin-only', async () => {
    expect((await refusal(member.listProviders())).status).toBe(403);
    expect((await refusal(member.createProvider({ body: { name: 'm', kind: 'mock' } }))).status).toBe(403);
  });
});

describe('model configs', () => {
  it('keeps at most one default', async () => {
    const provider = await admin.createProvider({ body: { name: 'defaults', kind: 'mock' } });
    const provider_id = provider.body.provider.id;
    const a = await admin.createModelConfig({ body: { provider_id, model: 'a', is_default: true } });
    expect(a.status).toBe(201);
    const b = await admin.createModelConfig({
      body: { provider_id, model: 'b', is_default: true, input_price_per_mtok: 3, output_price_per_mtok: 15 },
    });
    expect(b.body.model_config).toMatchObject({ is_default: true, input_price_per_mtok: 3, output_price_per_mtok: 15 });
    const list = await admin.listModelConfigs();
    const defaults = list.body.data.filter((m) => m.is_default);
    expect(defaults.map((m) => m.id)).toEqual([b.body.model_config.id]);

    const back = await admin.updateModelConfig({ params: { id: a.body.model_config.id }, body: { is_default: true } });
    expect(back.body.model_config.is_default).toBe(true);
    expect((await admin.getModelConfig({ params: { id: b.body.model_config.id } })).body.model_config.is_default).toBe(
      false,
    );
  });

  it('shows members only enabled configs and refuses them changes', async () => {
    const provider = await admin.createProvider({ body: { name: 'visibility', kind: 'mock' } });
    const off = await admin.createModelConfig({
      body: { provider_id: provider.body.provider.id, model: 'hidden', enabled: false },
    });
    const params = { id: off.body.model_config.id };
    const ids = (await member.listModelConfigs()).body.data.map((m) => m.id);
    expect(ids).not.toContain(params.id);
    expect((await refusal(member.getModelConfig({ params }))).status).toBe(404);
    expect((await refusal(member.updateModelConfig({ params, body: { enabled: true } }))).status).toBe(403);
  });

  it('refuses a config for a provider that does not exist', async () => {
    const err = await refusal(
      admin.createModelConfig({ body: { provider_id: '00000000-0000-7000-8000-000000000000', model: 'x' } }),
    );
    expect(err.status).toBe(400);
    expect(err.body.validations).toEqual([{ field: 'body.provider_id', detail: 'no provider has this id' }]);
  });

  it('soft-deletes: gone from lists, still referenced by history', async () => {
    const provider = await admin.createProvider({ body: { name: 'gone', kind: 'mock' } });
    const mc = await admin.createModelConfig({ body: { provider_id: provider.body.provider.id, model: 'g' } });
    const params = { id: mc.body.model_config.id };
    expect((await admin.deleteModelConfig({ params })).status).toBe(204);
    expect((await refusal(admin.getModelConfig({ params }))).status).toBe(404);
    const [row] = await stack.sql`select deleted_at from model_configs where id = ${params.id}`;
    expect(row!.deleted_at).not.toBeNull();
  });
});
