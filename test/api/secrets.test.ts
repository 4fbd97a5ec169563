import type { ChatqClient } from '@chatq/client';
import { SecretBox } from '@chatq/platform';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../fakes/openai.ts';
import type { FakeProvider } from '../fakes/server.ts';
import { settledChat } from '../harness/chats.ts';
import { SEALED_COLUMNS } from '../../services/api/src/db/sealed.repository.ts';
import { ServiceProcess, startService } from '../harness/processes.ts';
import { refusal } from '../harness/refusal.ts';
import { startStack, TEST_SECRET_KEY, type TestStack } from '../harness/stack.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MISMATCH = 'CHATQ_SECRET_KEY does not match the key this database was sealed with';
/** Another key than the one the test stacks seal with (TEST_SECRET_KEY). */
const OTHER_KEY = 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100';
const box = (hex: string) => new SecretBox(Buffer.from(hex, 'hex'));

describe('secrets in the API’s answers', () => {
  let stack: TestStack;
  let fake: FakeProvider;
  let member: ChatqClient;
  beforeAll(async () => {
    fake = await startFakeOpenAi();
    stack = await startStack();
    member = await stack.memberClient();
  });
  afterAll(async () => {
    await stack.close();
    await fake.close();
  });

  it('shows a model config’s options.headers to admins only', async () => {
    const provider = (await stack.client.createProvider({ body: { name: 'hdr-mock', kind: 'mock' } })).body.provider;
    const options = { temperature: 0.2, headers: { 'x-gateway-key': 'gw-in-options' } };
    const created = await stack.client.createModelConfig({ body: { provider_id: provider.id, model: 'm', options } });
    const id = created.body.model_config.id;
    expect(created.body.model_config.options).toEqual(options);
    expect((await stack.client.getModelConfig({ params: { id } })).body.model_config.options).toEqual(options);

    const seen = (await member.getModelConfig({ params: { id } })).body.model_config;
    expect(seen.options).toEqual({ temperature: 0.2 });
    const listed = (await member.listModelConfigs({ query: { limit: 100 } })).body.data;
    expect(listed.find((m) => m.id === id)!.options).toEqual({ temperature: 0.2 });
    expect(JSON.stringify(listed)).not.toContain('gw-in-options');
  });

  it('seals a provider’s secret headers, shows only their names, and the worker sends them on every call', async () => {
    const created = await stack.client.createProvider({
      body: {
        name: 'gateway',
        kind: 'openai-compatible',
        base_url: `${fake.origin}/v1`,
        api_key: 'sk-gateway-key',
        secret_headers: { 'X-Gateway-Key': 'gw-secret-123', 'X-Tenant': 'tenant-7' },
      },
    });
    expect(created.status).toBe(201);
    const provider = created.body.provider;
    expect(provider.secret_header_names).toEqual(['x-gateway-key', 'x-tenant']);
    const shown = JSON.stringify([
      created.body,
      (await stack.client.getProvider({ params: { id: provider.id } })).body,
    ]);
    expect(shown).not.toContain('gw-secret-123');
    const [row] = await stack.sql<{ secret_headers: Buffer }[]>`
      select secret_headers from providers where id = ${provider.id}`;
    expect(row!.secret_headers.toString('latin1')).not.toContain('gw-secret-123');

    const model = await stack.client.createModelConfig({ body: { provider_id: provider.id, model: 'gw-model' } });
    const chatOn = async (content: string) => {
      const chat = await member.createChat({ body: { content, model_config_id: model.body.model_config.id } });
      expect((await settledChat(member, chat.body.chat.id)).status).toBe('idle');
      return fake.received.at(-1)!;
    };
    const first = await chatOn('through the gateway');
    expect(first.headers['x-gateway-key']).toBe('gw-secret-123');
    expect(first.headers['x-tenant']).toBe('tenant-7');
    expect(first.key).toBe('sk-gateway-key');

    // New secret headers replace the set; null clears it.
    const params = { id: provider.id };
    const replaced = await stack.client.updateProvider({
      params,
      body: { secret_headers: { 'x-gateway-key': 'gw-rotated' } },
    });
    expect(replaced.body.provider.secret_header_names).toEqual(['x-gateway-key']);
    const second = await chatOn('after the rotation');
    expect(second.headers['x-gateway-key']).toBe('gw-rotated');
    expect(second.headers['x-tenant']).toBeUndefined();
    const cleared = await stack.client.updateProvider({ params, body: { secret_headers: null } });
    expect(cleared.body.provider.secret_header_names).toEqual([]);
    expect((await chatOn('without headers')).headers['x-gateway-key']).toBeUndefined();
  });

  it('refuses secret headers that are not header names, or that name one header twice', async () => {
    const refused: Record<string, string>[] = [
      { 'bad header': 'v' },
      { 'x-a': 'line\nbreak' },
      { 'X-A': '1', 'x-a': '2' },
    ];
    for (const secret_headers of refused) {
      const res = await refusal(stack.client.createProvider({ body: { name: 'bad', kind: 'mock', secret_headers } }));
      expect(res.status, JSON.stringify(secret_headers)).toBe(400);
    }
  });
});

/** Runs `npm run rotate-key`'s entry point with `env`; resolves with its exit code and output. */
function rotateKey(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['services/api/src/rotate-key.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

/** Starts a service that should refuse to start; resolves with how it exited and what it printed. */
async function refusedStart(kind: 'api' | 'worker', env: Record<string, string>) {
  const service = new ServiceProcess(kind, 0, env);
  const exit = await service.exited;
  return { ...exit, output: service.output };
}

describe('the secret key', () => {
  let stack: TestStack;
  let sealedAtStart: Record<string, string>;
  const running: ServiceProcess[] = [];

  /** Every sealed value in the database, by where it is (base64). */
  async function sealedValues(): Promise<Record<string, string>> {
    const rows = await stack.sql<{ at: string; sealed: Buffer }[]>`
      select 'providers.api_key ' || name as at, api_key as sealed from providers where api_key is not null
      union all
      select 'providers.secret_headers ' || name, secret_headers from providers where secret_headers is not null
      union all
      select 'tools.signing_secret ' || name, signing_secret from tools where signing_secret is not null
      union all
      select 'mcp_servers.secret_headers ' || name, secret_headers from mcp_servers where secret_headers is not null
      union all
      select 'idempotency_keys.body ' || key, body from idempotency_keys
      union all
      select 'secret_key_check', sealed from secret_key_check`;
    return Object.fromEntries(rows.map((r) => [r.at, r.sealed.toString('base64')]));
  }

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    // One secret of every kind, sealed with TEST_SECRET_KEY.
    await stack.client.createProvider({
      body: {
        name: 'keyed',
        kind: 'openai',
        api_key: 'sk-rotate-me',
        secret_headers: { 'x-gateway-key': 'gw-rotate-me' },
      },
    });
    await stack.client.createTool({
      body: {
        name: 'signed',
        description: 'A signed webhook.',
        input_schema: { type: 'object' },
        kind: 'webhook',
        url: 'http://127.0.0.1:9/hook',
        signing_secret: 'whsec-rotate-me',
      },
    });
    await stack.client.createMcpServer({
      body: {
        name: 'keyed-mcp',
        url: 'http://127.0.0.1:9/mcp',
        secret_headers: { authorization: 'Bearer mcp-rotate-me' },
      },
    });
    const member = await stack.memberClient();
    await member.createChat({ body: { title: 'recorded' }, headers: { 'idempotency-key': 'rotate-1' } });
    sealedAtStart = await sealedValues();
  });
  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop()));
    await stack.close();
  });

  it('seals a key check at the first start, with the key the services use', async () => {
    expect(Object.keys(sealedAtStart).sort()).toEqual([
      'idempotency_keys.body rotate-1',
      'mcp_servers.secret_headers keyed-mcp',
      'providers.api_key keyed',
      'providers.secret_headers keyed',
      'secret_key_check',
      'tools.signing_secret signed',
    ]);
    const check = Buffer.from(sealedAtStart.secret_key_check!, 'base64');
    expect(box(TEST_SECRET_KEY).open(check)).toBe('chatq key check');
  });

  it('keeps a worker and an API with another key from starting: exit 1, the reason, no stack trace', async () => {
    for (const kind of ['worker', 'api'] as const) {
      const refused = await refusedStart(kind, { ...stack.env, CHATQ_SECRET_KEY: OTHER_KEY, LOG_LEVEL: 'info' });
      expect(refused.code, refused.output).toBe(1);
      expect(refused.output).toContain(`chatq ${kind}: ${MISMATCH}`);
      expect(refused.output).not.toMatch(/^\s+at /m);
    }
  });

  it('rotates every binary column of the schema that is not a hash: a new sealed column cannot be missed', async () => {
    const columns = await stack.sql<{ at: string }[]>`
      select table_name || '.' || column_name as at from information_schema.columns
      where table_schema = current_schema() and data_type = 'bytea'`;
    const hashes = ['api_tokens.token_hash', 'idempotency_keys.fingerprint'];
    const rotated = SEALED_COLUMNS.map((c) => `${c.table}.${c.column}`);
    expect(columns.map((c) => c.at).sort()).toEqual([...rotated, ...hashes].sort());
  });

  it('rotates every secret to a new key in one run, and a second run changes nothing', async () => {
    const env = { ...stack.env, CHATQ_SECRET_KEY: OTHER_KEY, CHATQ_SECRET_KEY_PREVIOUS: TEST_SECRET_KEY };
    const first = await rotateKey(env);
    expect(first.code, first.output).toBe(0);
    const rotated = await sealedValues();
    expect(Object.keys(rotated).sort()).toEqual(Object.keys(sealedAtStart).sort());
    const next = box(OTHER_KEY);
    const open = (at: string) => next.open(Buffer.from(rotated[at]!, 'base64'));
    expect(open('providers.api_key keyed')).toBe('sk-rotate-me');
    expect(JSON.parse(open('providers.secret_headers keyed'))).toEqual({ 'x-gateway-key': 'gw-rotate-me' });
    expect(open('tools.signing_secret signed')).toBe('whsec-rotate-me');
    expect(JSON.parse(open('mcp_servers.secret_headers keyed-mcp'))).toEqual({ authorization: 'Bearer mcp-rotate-me' });
    expect(JSON.parse(open('idempotency_keys.body rotate-1')).chat.title).toBe('recorded');
    expect(open('secret_key_check')).toBe('chatq key check');
    for (const sealed of Object.values(rotated)) {
      expect(() => box(TEST_SECRET_KEY).open(Buffer.from(sealed, 'base64'))).toThrow();
    }

    const second = await rotateKey(env);
    expect(second.code, second.output).toBe(0);
    expect(await sealedValues()).toEqual(rotated);
  });

  it('refuses to rotate without the previous key', async () => {
    const res = await rotateKey({ ...stack.env, CHATQ_SECRET_KEY: OTHER_KEY });
    expect(res.code).toBe(1);
    expect(res.output).toContain('CHATQ_SECRET_KEY_PREVIOUS');
  });

  it('starts the services with the new key, and refuses the old one', async () => {
    const env = { ...stack.env, CHATQ_SECRET_KEY: OTHER_KEY };
    running.push(await startService('worker', env), await startService('api', env));
    const old = await refusedStart('worker', stack.env);
    expect(old.code, old.output).toBe(1);
    expect(old.output).toContain(MISMATCH);
  });
});
