import { SecretBox } from '@chatq/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../harness/http.ts';
import { startStack, TEST_SECRET_KEY, type TestStack } from '../harness/stack.ts';

let stack: TestStack;
let member: ApiClient;

beforeAll(async () => {
  stack = await startStack({ worker: false });
  member = await stack.member();
});
afterAll(() => stack.close());

const SECRET = 'sk-live-super-secret-key-123456';

describe('providers', () => {
  it('creates a provider without ever returning its key, and seals the key at rest', async () => {
    const res = await stack.admin.post('/api/v1/providers', {
      name: 'openai-prod',
      kind: 'openai',
      api_key: SECRET,
      options: { temperature: 0.2 },
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
    const list = await stack.admin.get('/api/v1/providers');
    expect(JSON.stringify(list.body)).not.toContain(SECRET);

    const [row] = await stack.sql<
      { api_key: Buffer }[]
    >`select api_key from providers where id = ${res.body.provider.id}`;
    expect(Buffer.from(row!.api_key).toString('latin1')).not.toContain(SECRET);
    expect(new SecretBox(Buffer.from(TEST_SECRET_KEY, 'hex')).open(row!.api_key)).toBe(SECRET);
  });

  it('updates, clears the key, and soft-deletes', async () => {
    const created = await stack.admin.post('/api/v1/providers', {
      name: 'local',
      kind: 'openai-compatible',
      api_key: 'k',
    });
    const id = created.body.provider.id;
    const patched = await stack.admin.patch(`/api/v1/providers/${id}`, {
      base_url: 'http://127.0.0.1:11434/v1',
      api_key: null,
    });
    expect(patched.status).toBe(200);
    expect(patched.body.provider).toMatchObject({ base_url: 'http://127.0.0.1:11434/v1', has_api_key: false });
    expect((await stack.admin.delete(`/api/v1/providers/${id}`)).status).toBe(204);
    expect((await stack.admin.get(`/api/v1/providers/${id}`)).status).toBe(404);
    expect((await stack.admin.delete(`/api/v1/providers/${id}`)).status).toBe(404);
  });

  it('rejects an unknown kind and a duplicate name', async () => {
    const bad = await stack.admin.post('/api/v1/providers', { name: 'x', kind: 'skynet' });
    expect(bad.status).toBe(400);
    expect(bad.body.validations[0].field).toBe('body.kind');
    await stack.admin.post('/api/v1/providers', { name: 'dup', kind: 'mock' });
    expect((await stack.admin.post('/api/v1/providers', { name: 'dup', kind: 'mock' })).status).toBe(409);
  });

  it('is admin-only', async () => {
    expect((await member.get('/api/v1/providers')).status).toBe(403);
    expect((await member.post('/api/v1/providers', { name: 'm', kind: 'mock' })).status).toBe(403);
  });
});

describe('model configs', () => {
  it('keeps at most one default', async () => {
    const provider = await stack.admin.post('/api/v1/providers', { name: 'defaults', kind: 'mock' });
    const a = await stack.admin.post('/api/v1/model-configs', {
      provider_id: provider.body.provider.id,
      model: 'a',
      is_default: true,
    });
    expect(a.status).toBe(201);
    const b = await stack.admin.post('/api/v1/model-configs', {
      provider_id: provider.body.provider.id,
      model: 'b',
      is_default: true,
      input_price_per_mtok: 3,
      output_price_per_mtok: 15,
    });
    expect(b.body.model_config).toMatchObject({ is_default: true, input_price_per_mtok: 3, output_price_per_mtok: 15 });
    const list = await stack.admin.get('/api/v1/model-configs');
    const defaults = list.body.data.filter((m: { is_default: boolean }) => m.is_default);
    expect(defaults.map((m: { id: string }) => m.id)).toEqual([b.body.model_config.id]);

    const back = await stack.admin.patch(`/api/v1/model-configs/${a.body.model_config.id}`, { is_default: true });
    expect(back.body.model_config.is_default).toBe(true);
    expect(
      (await stack.admin.get(`/api/v1/model-configs/${b.body.model_config.id}`)).body.model_config.is_default,
    ).toBe(false);
  });

  it('shows members only enabled configs and refuses them changes', async () => {
    const provider = await stack.admin.post('/api/v1/providers', { name: 'visibility', kind: 'mock' });
    const off = await stack.admin.post('/api/v1/model-configs', {
      provider_id: provider.body.provider.id,
      model: 'hidden',
      enabled: false,
    });
    const ids = (await member.get('/api/v1/model-configs')).body.data.map((m: { id: string }) => m.id);
    expect(ids).not.toContain(off.body.model_config.id);
    expect((await member.get(`/api/v1/model-configs/${off.body.model_config.id}`)).status).toBe(404);
    expect((await member.patch(`/api/v1/model-configs/${off.body.model_config.id}`, { enabled: true })).status).toBe(
      403,
    );
  });

  it('refuses a config for a provider that does not exist', async () => {
    const res = await stack.admin.post('/api/v1/model-configs', {
      provider_id: '00000000-0000-7000-8000-000000000000',
      model: 'x',
    });
    expect(res.status).toBe(400);
    expect(res.body.validations).toEqual([{ field: 'body.provider_id', detail: 'no provider has this id' }]);
  });

  it('soft-deletes: gone from lists, still referenced by history', async () => {
    const provider = await stack.admin.post('/api/v1/providers', { name: 'gone', kind: 'mock' });
    const mc = await stack.admin.post('/api/v1/model-configs', { provider_id: provider.body.provider.id, model: 'g' });
    expect((await stack.admin.delete(`/api/v1/model-configs/${mc.body.model_config.id}`)).status).toBe(204);
    expect((await stack.admin.get(`/api/v1/model-configs/${mc.body.model_config.id}`)).status).toBe(404);
    const [row] = await stack.sql`select deleted_at from model_configs where id = ${mc.body.model_config.id}`;
    expect(row!.deleted_at).not.toBeNull();
  });
});
