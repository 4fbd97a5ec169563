import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../harness/stack.ts';

const run = promisify(execFile);
const CLIENT_DIR = resolve(import.meta.dirname, '../../libs/client');
const TSC = resolve(import.meta.dirname, '../../node_modules/typescript/bin/tsc');

/** What a project of its own does with the package: plain ESM JavaScript, nothing from this repository. */
const CONSUMER = `
import { ChatqApiError, ChatqClient } from '@chatq/client';

const client = new ChatqClient({ baseUrl: process.env.CHATQ_URL, token: process.env.CHATQ_TOKEN });
const health = await client.getHealth();
const { body } = await client.createChat({ body: { title: 'from the tarball' } });
const sent = await client.sendMessage({ params: { chat_id: body.chat.id }, body: { content: 'hello' } });
const refused = await client.getChat({ params: { chat_id: crypto.randomUUID() } }).catch((err) => err);
console.log(JSON.stringify({
  health: health.body,
  sent: { status: sent.status, content: sent.body.message.content },
  refused: { isApiError: refused instanceof ChatqApiError, status: refused.status },
}));
`;

/** The same calls in TypeScript, type-checked against the package's bundled declarations alone. */
const TYPED_CONSUMER = `
import { ChatqClient } from '@chatq/client';

export async function send(client: ChatqClient, chatId: string): Promise<string> {
  const sent = await client.sendMessage({ params: { chat_id: chatId }, body: { content: 'hi' } });
  return sent.status === 201 ? sent.body.turn.id : sent.body.queued_message.id;
}
// @ts-expect-error the body is required
void new ChatqClient({ baseUrl: '' }).sendMessage({ params: { chat_id: 'x' } });
`;

describe('the @chatq/client tarball', () => {
  let stack: TestStack;
  let dir: string;
  beforeAll(async () => {
    [stack, dir] = await Promise.all([startStack({ worker: false }), mkdtemp(join(tmpdir(), 'chatq-client-'))]);
  });
  afterAll(async () => {
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs offline into a plain ESM project and calls a live API, with declarations that type-check', async () => {
    // prepack builds dist/ (esbuild + bundled .d.ts); `files` keeps the sources out (npm adds the README).
    const packed = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: CLIENT_DIR });
    const [tarball] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    expect(tarball!.files.map((f) => f.path).sort()).toEqual([
      'README.md',
      'dist/index.d.ts',
      'dist/index.js',
      'package.json',
    ]);

    const project = join(dir, 'consumer');
    await run('mkdir', [project]);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // The npm cache has zod (the machine ran `npm ci`); nothing else is needed from the registry.
    await run('npm', ['install', join(dir, tarball!.filename), '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: project,
    });
    expect(await readdir(join(project, 'node_modules/@chatq/client'))).not.toContain('src');

    await writeFile(join(project, 'main.js'), CONSUMER);
    const env = { ...process.env, CHATQ_URL: stack.baseUrl, CHATQ_TOKEN: stack.client.token! };
    const { stdout } = await run(process.execPath, ['main.js'], { cwd: project, env });
    expect(JSON.parse(stdout)).toEqual({
      health: { status: 'ok' },
      sent: { status: 201, content: 'hello' },
      refused: { isApiError: true, status: 404 },
    });

    await writeFile(join(project, 'typed.ts'), TYPED_CONSUMER);
    const tsconfig = {
      compilerOptions: { module: 'nodenext', strict: true, noEmit: true, types: [] },
      files: ['typed.ts'],
    };
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
    await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project });
  }, 120_000);
});
