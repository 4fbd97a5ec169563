import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:http';
import { classifyError } from '@chatq/worker/llm/classify.ts';
import { createModelCaller } from '@chatq/worker/llm/registry.ts';
import type { ModelCall } from '@chatq/worker/llm/types.ts';
import { createSafeFetch, refuseAddress, type Resolver } from '@chatq/worker/outbound.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../fakes/openai.ts';
import type { FakeProvider } from '../fakes/server.ts';

const callModel = createModelCaller({ allowLinkLocal: false, maxReplyChars: 400_000 });
const POLICY = { allowLinkLocal: false, allowLinkLocalSetting: 'PROVIDER_ALLOW_LINK_LOCAL' };

/** A one-message call to an OpenAI-compatible server at `baseUrl`. */
const callAt = (baseUrl: string, caller = callModel): Promise<unknown> =>
  caller({
    provider: { kind: 'openai-compatible', baseUrl, apiKey: 'sk-outbound', headers: {}, options: {} },
    model: { name: 'fake-model', maxOutputTokens: null, contextLimit: null, options: {} },
    messages: [{ role: 'user', content: 'hello' }],
    signal: AbortSignal.timeout(5_000),
  } satisfies ModelCall).then(
    (reply) => reply,
    (err: unknown) => err,
  );

describe('which addresses provider calls may reach', () => {
  it.each([
    ['169.254.169.254', true],
    ['169.254.0.1', true],
    ['fe80::1', true],
    ['::ffff:169.254.169.254', true],
    ['127.0.0.1', false],
    ['::1', false],
    ['10.0.0.5', false],
    ['192.168.1.10', false],
    ['fd00::1', false],
    ['8.8.8.8', false],
  ])('%s refused: %s', (address, refused) => {
    expect(refuseAddress(address, POLICY) !== undefined).toBe(refused);
    expect(refuseAddress(address, { ...POLICY, allowLinkLocal: true })).toBeUndefined();
  });

  it('fails a base_url on the metadata address at once, naming the setting, without connecting', async () => {
    const connects: string[] = [];
    const onConnect = (message: unknown) =>
      connects.push(String((message as { connectParams: { host: string } }).connectParams.host));
    subscribe('undici:client:beforeConnect', onConnect);
    try {
      const err = await callAt('http://169.254.169.254/v1');
      expect(classifyError(err)).toEqual({
        kind: 'refused',
        retryable: false,
        message:
          'refusing to connect to link-local address 169.254.169.254 (where cloud metadata services answer); ' +
          'set PROVIDER_ALLOW_LINK_LOCAL=true to allow it',
      });
      expect(connects).toEqual([]);
      // The channel does report connections: the same call to a server that exists shows one.
      const fake = await startFakeOpenAi();
      await callAt(`${fake.origin}/v1`).finally(() => fake.close());
      expect(connects).toEqual([new URL(fake.origin).host]);
    } finally {
      unsubscribe('undici:client:beforeConnect', onConnect);
    }
  });

  it('refuses an IPv6 link-local literal', async () => {
    const err = await callAt('http://[fe80::1]:9/v1');
    expect(classifyError(err)).toMatchObject({ kind: 'refused', retryable: false });
  });

  it('checks the address a name resolves to in the lookup the socket uses', async () => {
    const fake = await startFakeOpenAi();
    try {
      const { port } = new URL(fake.origin);
      // A resolver of the test's own: "metadata.test" is link-local, "provider.test" is the fake.
      const resolve: Resolver = (hostname, _options, callback) =>
        callback(null, [{ address: hostname === 'metadata.test' ? '169.254.169.254' : '127.0.0.1', family: 4 }]);
      const fetch = createSafeFetch(POLICY, { maxErrorBodyBytes: 1_024, maxLineBytes: 1_024 }, resolve);
      const body = JSON.stringify({ model: 'm', messages: [], stream: true });
      const answered = await fetch(`http://provider.test:${port}/v1/chat/completions`, { method: 'POST', body });
      expect(answered.status).toBe(200);
      const refused = await fetch(`http://metadata.test:${port}/v1/chat/completions`, { method: 'POST', body }).catch(
        (e: unknown) => e,
      );
      expect(classifyError(refused)).toMatchObject({
        kind: 'refused',
        message: expect.stringMatching(/^metadata\.test: refusing to connect to link-local address 169\.254\.169\.254/),
      });
      expect(fake.received).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });
});

describe('redirects of provider calls', () => {
  let fake: FakeProvider;
  let elsewhere: Server;
  let elsewhereHits = 0;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    // Another host: 127.0.0.2 is loopback too, but not the provider's origin.
    elsewhere = createServer((_req, res) => {
      elsewhereHits++;
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.2', resolve));
  });
  afterAll(async () => {
    await fake.close();
    await new Promise((resolve) => elsewhere.close(resolve));
  });

  it('follows a redirect within the provider origin', async () => {
    fake.script({ redirect: '/v1/chat/completions', status: 307 }, { reply: ['moved', ' here'] });
    const reply = await callAt(`${fake.origin}/old/v1`);
    expect(reply).toMatchObject({ text: 'moved here' });
    expect(fake.received.slice(-2).map((r) => r.path)).toEqual(['/old/v1/chat/completions', '/v1/chat/completions']);
  });

  it('refuses a redirect to another host, which never hears from the worker', async () => {
    const { port } = elsewhere.address() as { port: number };
    fake.script({ redirect: `http://127.0.0.2:${port}/v1/chat/completions`, status: 307 });
    const err = await callAt(`${fake.origin}/v1`);
    expect(classifyError(err)).toEqual({
      kind: 'refused',
      retryable: false,
      message: `refusing a redirect from ${fake.origin} to another origin (http://127.0.0.2:${port})`,
    });
    expect(elsewhereHits).toBe(0);
  });

  it('gives up after a few redirects', async () => {
    fake.script(...Array.from({ length: 4 }, () => ({ redirect: '/v1/chat/completions', status: 308 as const })));
    const err = await callAt(`${fake.origin}/v1`);
    expect(classifyError(err)).toMatchObject({ kind: 'refused', message: 'more than 3 redirects' });
  });
});
