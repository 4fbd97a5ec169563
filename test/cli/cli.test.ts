import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ChatqClient } from '@chatq/client';
import { mockReplyText } from '@chatq/worker/llm/mock.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../fakes/openai.ts';
import { startFakeWebhook } from '../fakes/webhook.ts';
import { settledChat } from '../harness/chats.ts';
import { createMockModel, mockModel } from '../harness/models.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

const ROOT = resolve(import.meta.dirname, '../..');
/** The real `chatq` bin, as npm links it into node_modules/.bin. */
const BIN = resolve(ROOT, 'apps/cli/bin/chatq.mjs');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Waits until the running command has written to stdout. */
const firstText = (running: { stdout: () => string }) =>
  eventually(async () => (running.stdout().length > 0 ? true : undefined), { what: 'the first text of the reply' });

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running `chatq`: its output so far, and its end. */
interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<Run>;
}

describe('the chatq CLI, run as a program against a live API', () => {
  let stack: TestStack;
  let config: string;
  let member: ChatqClient;
  let env: Record<string, string>;

  /** Starts `chatq args` with the connection in env (unless `extraEnv` overrides it). */
  function start(args: string[], options: { env?: Record<string, string | undefined>; input?: string } = {}): Running {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...env, ...options.env } as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin!.end(options.input ?? '');
    const done = new Promise<Run>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    return { child, stdout: () => stdout, stderr: () => stderr, done };
  }

  const chatq = (args: string[], options?: Parameters<typeof start>[1]) => start(args, options).done;

  beforeAll(async () => {
    // Quick retries, for the reply a dropped provider stream makes start over.
    stack = await startStack({ env: { WORKER_RETRY_BASE_MS: '20' } });
    config = await mkdtemp(join(tmpdir(), 'chatq-cli-'));
    member = await stack.memberClient('cli-member');
    const { CHATQ_URL: _url, CHATQ_TOKEN: _token, ...rest } = process.env;
    env = {
      ...(rest as Record<string, string>),
      XDG_CONFIG_HOME: config,
      CHATQ_URL: stack.baseUrl,
      CHATQ_TOKEN: member.token!,
    };
  });
  afterAll(async () => {
    await stack.close();
    await rm(config, { recursive: true, force: true });
  });

  it('login checks the token, stores URL and token in a 0600 config file, and later commands use them', async () => {
    const home = await mkdtemp(join(tmpdir(), 'chatq-login-'));
    const unset = { XDG_CONFIG_HOME: home, CHATQ_URL: undefined, CHATQ_TOKEN: undefined };
    try {
      const refused = await chatq(['login', '--url', stack.baseUrl, '--token', 'cq_not_a_real_token'], { env: unset });
      expect(refused).toMatchObject({ code: 1, stderr: 'chatq: Unauthorized.\n' });
      await expect(stat(join(home, 'chatq', 'config.json'))).rejects.toThrow(/ENOENT/);

      const login = await chatq(['login', '--url', stack.baseUrl, '--token', member.token!], { env: unset });
      expect(login.code).toBe(0);
      expect(login.stderr).toContain('as cli-member (member)');
      const file = join(home, 'chatq', 'config.json');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url: stack.baseUrl, token: member.token });

      const { body } = await member.createChat({ body: { title: 'made through the API' } });
      const listed = await chatq(['chats', '--json'], { env: unset });
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout).map((c: { id: string }) => c.id)).toContain(body.chat.id);

      // CHATQ_TOKEN wins over the stored token: the admin's lists providers, the stored member's may not.
      expect(await chatq(['providers'], { env: unset })).toMatchObject({ code: 1, stderr: 'chatq: Forbidden.\n' });
      const asAdmin = await chatq(['providers'], { env: { ...unset, CHATQ_TOKEN: stack.client.token } });
      expect(asAdmin).toMatchObject({ code: 0, stderr: '' });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('without a token from the environment or a login, a command is bad usage (exit 2)', async () => {
    const run = await chatq(['chats'], { env: { CHATQ_TOKEN: undefined } });
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: 'chatq: no API token: set CHATQ_TOKEN or run chatq login --url URL --token TOKEN\n',
    });
  });

  it('chat starts a chat, writes the reply to stdout and the chat id to stderr', async () => {
    const run = await chatq(['chat', 'Hello!']);
    expect(run.code).toBe(0);
    const chatId = run.stderr.trim();
    expect(chatId).toMatch(UUID);
    const [seeded] = await stack.sql<{ model: string }[]>`select model from model_configs where is_default`;
    expect(run.stdout).toBe(`${mockReplyText(seeded!.model, [{ role: 'user', content: 'Hello!' }])}\n`);
    const { body } = await member.listMessages({ params: { chat_id: chatId } });
    expect(body.data.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Hello!'],
      ['assistant', run.stdout.trimEnd()],
    ]);
  });

  it('chat --json prints the outcome once the turn ended: chat id, the message, the turn and its reply', async () => {
    const run = await chatq(['chat', '--json', 'Hello in JSON']);
    expect(run.code).toBe(0);
    const outcome = JSON.parse(run.stdout);
    expect(run.stderr).toBe(`${outcome.chat_id}\n`);
    const { body } = await member.listMessages({ params: { chat_id: outcome.chat_id } });
    expect(outcome).toEqual({
      chat_id: outcome.chat_id,
      message: body.data[0],
      turn_id: expect.stringMatching(UUID),
      status: 'completed',
      reply: body.data[1],
    });
  });

  it('chat streams the reply as it arrives: the first text shows while the turn still runs', async () => {
    // Five chunks a second apart: the turn runs on for seconds after the first.
    const slow = await mockModel(stack.client, 5_000);
    const running = start(['chat', '--model', slow, 'Tell me a long story']);
    await firstText(running);
    const chatId = running.stderr().trim();
    const { body } = await member.getChat({ params: { chat_id: chatId } });
    expect(body.chat.status).toBe('running');
    const run = await running.done;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\[mock-5000ms-\d+\] You said: "Tell me a long story"\. /);
  });

  it('chat --chat continues the chat, and a message sent while a turn runs waits for it, then streams its reply', async () => {
    const first = await chatq(['chat', 'Hello!']);
    const chatId = first.stderr.trim();
    const second = await chatq(['chat', '--chat', chatId, 'And now?']);
    expect(second).toMatchObject({ code: 0, stderr: `${chatId}\n` });
    const replies = async () =>
      (await member.listMessages({ params: { chat_id: chatId } })).body.data.filter((m) => m.role === 'assistant');
    expect((await replies()).map((m) => `${m.content}\n`)).toEqual([first.stdout, second.stdout]);
    expect(second.stdout).toMatch(/You said: "And now\?"/);

    // Busy: a send while a (very slow) turn runs is queued (202); once the turn ends (here by an
    // interrupt) the queued message runs, and its reply streams.
    const slow = await mockModel(stack.client, 60_000);
    const busy = start(['chat', '--chat', chatId, '--model', slow, 'Take your time']);
    await eventually(
      async () =>
        (await member.getChat({ params: { chat_id: chatId } })).body.chat.status === 'running' ? true : undefined,
      { what: 'the slow turn to run' },
    );
    const queued = start(['chat', '--chat', chatId, '--model', 'Mock (built in)', 'Then this']);
    await eventually(async () => (queued.stderr().includes('queued:') ? true : undefined), {
      what: 'the send to queue',
    });
    expect((await chatq(['interrupt', chatId])).code).toBe(0);
    expect((await busy.done).code).toBe(1);
    const run = await queued.done;
    expect(run).toMatchObject({ code: 0, stderr: `${chatId}\nqueued: the reply follows once the running turn ends\n` });
    expect((await replies()).at(-1)!.content).toBe(run.stdout.trimEnd());
    expect(run.stdout).toMatch(/^\[mock-1\] You said: "Then this"/);
  });

  it('edit --model NAME answers the edited message with the model of that display name', async () => {
    const other = await createMockModel(stack.client, 'cli-edit-model', { display_name: 'Edit Target' });
    const first = await chatq(['chat', 'Hello!']);
    const chatId = first.stderr.trim();
    const { body } = await member.listMessages({ params: { chat_id: chatId } });
    const userMessage = body.data.find((m) => m.role === 'user')!;

    const edited = await chatq(['edit', chatId, userMessage.id, '--model', 'Edit Target', 'Hello again!']);
    expect(edited).toEqual({
      code: 0,
      stdout: `${mockReplyText('cli-edit-model', [{ role: 'user', content: 'Hello again!' }])}\n`,
      stderr: `${chatId}\n`,
    });
    const after = await member.listMessages({ params: { chat_id: chatId } });
    expect(after.body.data.map((m) => [m.role, m.model_config_id])).toEqual([
      ['user', other],
      ['assistant', other],
    ]);

    const unknown = await chatq(['edit', chatId, after.body.data[0]!.id, '--model', 'No Such Model', 'Hi']);
    expect(unknown).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'chatq: no model named "No Such Model" (chatq models lists them)\n',
    });
  });

  it('interrupt stops the running turn: the chat command fails (exit 1) and the partial reply is kept', async () => {
    const slow = await mockModel(stack.client, 20_000);
    const running = start(['chat', '--model', slow, 'Tell me a long story']);
    await firstText(running);
    const chatId = running.stderr().trim();

    const interrupted = await chatq(['interrupt', chatId]);
    expect(interrupted).toMatchObject({ code: 0, stdout: `chat ${chatId} is idle\n` });
    const run = await running.done;
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`${chatId}\nchatq: the turn was interrupted\n`);

    const messages = await chatq(['messages', chatId, '--json']);
    const reply = JSON.parse(messages.stdout).data.find((m: { role: string }) => m.role === 'assistant');
    // The partial text, and the newline the command ends its output with.
    expect(reply).toMatchObject({ interrupted: true, content: run.stdout.replace(/\n$/, '') });

    const again = await chatq(['interrupt', chatId]);
    expect(again).toMatchObject({ code: 1, stderr: 'chatq: Chat is not in an interruptible state.\n' });
  });

  it("a provider failure fails the command with the turn's error (exit 1); a retried reply says it starts over", async () => {
    const fake = await startFakeOpenAi();
    try {
      const provider = await stack.client.createProvider({
        body: { name: 'cli-fake', kind: 'openai-compatible', base_url: `${fake.origin}/compat/v1`, api_key: 'sk-cli' },
      });
      const model = await stack.client.createModelConfig({
        body: { provider_id: provider.body.provider.id, model: 'fake-model', display_name: 'Fake' },
      });
      expect(model.status).toBe(201);

      fake.script({ status: 401 });
      const failed = await chatq(['chat', '--model', 'Fake', 'Hi']);
      expect(failed).toMatchObject({ code: 1, stdout: '' });
      const chatId = failed.stderr.split('\n')[0];
      expect(failed.stderr).toBe(`${chatId}\nchatq: the turn failed: provider rejected the API key (401)\n`);

      fake.script({ disconnectAfter: ['half a'] }, { reply: ['whole', ' reply'] });
      const retried = await chatq(['chat', '--model', 'Fake', 'Again']);
      expect(retried).toMatchObject({ code: 0, stdout: 'half a\nwhole reply\n' });
      expect(retried.stderr.split('\n').slice(1)).toEqual(['the reply is retried from the start', '']);
    } finally {
      await fake.close();
    }
  });

  it('tool calls show on stderr as they run, and a turn that awaits approval ends the command (exit 1) naming it', async () => {
    const hook = await startFakeWebhook();
    hook.answer(() => ({ json: { booked: true } }));
    try {
      const tool = (name: string, requires_approval: boolean) =>
        stack.client.createTool({
          body: {
            name,
            description: 'Books a table.',
            input_schema: { type: 'object' },
            kind: 'webhook',
            url: hook.url,
            requires_approval,
          },
        });
      const calling = (name: string) =>
        createMockModel(stack.client, `cli-${name}`, { options: { tool_calls: [{ name, input: { seats: 2 } }] } });
      const chatWith = async (toolId: string) =>
        (await member.createChat({ body: { tool_ids: [toolId] } })).body.chat.id;

      const open = await tool('cli_book', false);
      const runs = await chatq([
        'chat',
        '--chat',
        await chatWith(open.body.tool.id),
        '--model',
        await calling('cli_book'),
        'Book it',
      ]);
      expect(runs.code).toBe(0);
      expect(runs.stderr.split('\n').slice(1)).toEqual([
        '[tool] cli_book {"seats":2}',
        '[tool] cli_book returned: {"booked":true}',
        '',
      ]);
      expect(runs.stdout).toContain('Tools: cli_book returned {"booked":true}.');

      const gated = await tool('cli_gated', true);
      const chatId = await chatWith(gated.body.tool.id);
      const waits = await chatq(['chat', '--chat', chatId, '--model', await calling('cli_gated'), 'Book it']);
      expect(waits).toEqual({
        code: 1,
        stdout: '',
        stderr: `${chatId}\nchatq: the turn awaits approval of cli_gated: approve or deny it through the API or the console\n`,
      });
    } finally {
      await hook.close();
    }
  });

  it('listings print JSON with --json and tables without', async () => {
    const first = await chatq(['chat', 'List me']);
    const chatId = first.stderr.trim();
    await settledChat(member, chatId);

    const chats = await chatq(['chats', '--json', '--limit', '2']);
    const listed = JSON.parse(chats.stdout);
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatchObject({ id: chatId, title: 'List me', status: 'idle' });
    const table = (await chatq(['chats', '--limit', '1'])).stdout.split('\n');
    expect(table[0]).toMatch(/^ID\s+STATUS\s+UPDATED\s+TITLE$/);
    expect(table[1]).toMatch(new RegExp(`^${chatId}\\s+idle\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+List me$`));

    const messages = JSON.parse((await chatq(['messages', chatId, '--json'])).stdout);
    expect(messages.queued).toEqual([]);
    expect(messages.data.map((m: { content: string }) => m.content)).toEqual(['List me', first.stdout.trimEnd()]);
    const text = (await chatq(['messages', chatId])).stdout;
    expect(text).toContain(`user  Mock (built in)\nList me\n`);

    const models = JSON.parse((await chatq(['models', '--json'])).stdout);
    expect(models.find((m: { is_default: boolean }) => m.is_default)).toMatchObject({
      display_name: 'Mock (built in)',
    });
    expect((await chatq(['models'])).stdout).toMatch(/\s+Mock \(built in\)\s+mock-1\s+yes\s+yes\n/);

    const usage = JSON.parse((await chatq(['usage', '--json'])).stdout);
    expect(usage.usage.replies).toBeGreaterThan(0);
    const none = JSON.parse((await chatq(['usage', '--json', '--from', '2000-01-01', '--to', '2000-01-02'])).stdout);
    expect(none).toMatchObject({ from: '2000-01-01T00:00:00.000Z', to: '2000-01-02T00:00:00.000Z' });
    expect(none.usage.replies).toBe(0);
    const spend = (await chatq(['usage'])).stdout;
    expect(spend).toMatch(/^from {2,}the start\nto {2,}now\nreplies {2,}\d+\n/);
    expect(spend).toMatch(/^cost {2,}unpriced$/m);
  });

  it('admin commands add providers, models and users, and create and revoke tokens', async () => {
    const admin = { CHATQ_TOKEN: stack.client.token };
    const provider = await chatq(['providers', 'add', '--name', 'cli-provider', '--kind', 'mock', '--api-key-stdin'], {
      env: admin,
      input: 'sk-from-stdin\n',
    });
    expect(provider).toMatchObject({ code: 0, stderr: '' });
    const providerId = provider.stdout.trim();
    const stored = await stack.client.getProvider({ params: { id: providerId } });
    expect(stored.body.provider).toMatchObject({ name: 'cli-provider', kind: 'mock', has_api_key: true });

    const model = await chatq(
      ['models', 'add', '--provider', providerId, '--model', 'cli-model', '--display-name', 'CLI Model', '--json'],
      { env: admin },
    );
    expect(JSON.parse(model.stdout).model_config).toMatchObject({
      provider_id: providerId,
      model: 'cli-model',
      display_name: 'CLI Model',
      is_default: false,
    });
    const seeded = (await stack.client.listModelConfigs()).body.data.find((m) => m.is_default)!;
    const made = await chatq(['models', 'add', '--provider', providerId, '--model', 'cli-default', '--default'], {
      env: admin,
    });
    const madeId = made.stdout.trim();
    expect((await stack.client.getModelConfig({ params: { id: madeId } })).body.model_config.is_default).toBe(true);
    await stack.client.updateModelConfig({ params: { id: seeded.id }, body: { is_default: true } });

    const chat = await chatq(['chat', '--model', 'CLI Model', 'Hi']);
    expect(chat.stdout).toBe(`${mockReplyText('cli-model', [{ role: 'user', content: 'Hi' }])}\n`);

    const user = await chatq(['users', 'add', 'cli-admin', '--admin'], { env: admin });
    const userId = user.stdout.trim();
    expect(userId).toMatch(UUID);
    const users = JSON.parse((await chatq(['users', '--json'], { env: admin })).stdout);
    expect(users.find((u: { id: string }) => u.id === userId)).toMatchObject({ username: 'cli-admin', role: 'admin' });

    const minted = JSON.parse((await chatq(['tokens', 'create', userId, '--json'], { env: admin })).stdout);
    const asNewAdmin = { CHATQ_TOKEN: minted.token };
    const providers = await chatq(['providers', '--json'], { env: asNewAdmin });
    expect(JSON.parse(providers.stdout).map((p: { name: string }) => p.name)).toContain('cli-provider');
    const plain = await chatq(['tokens', 'create', userId], { env: admin });
    expect(plain.stdout).toMatch(/^cq_\S+\n$/);

    const revoked = await chatq(['tokens', 'revoke', userId, minted.token_info.id], { env: admin });
    expect(revoked).toEqual({ code: 0, stdout: '', stderr: `token ${minted.token_info.id} revoked\n` });
    await eventually(async () => {
      const run = await chatq(['chats'], { env: asNewAdmin });
      return run.code === 1 ? run : undefined;
    }).then((run) => expect(run.stderr).toBe('chatq: Unauthorized.\n'));
  });

  it("a member's admin command fails with the API's message and exit 1", async () => {
    const run = await chatq(['providers', 'add', '--name', 'not-mine', '--kind', 'mock']);
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'chatq: Forbidden.\n' });
    expect(await chatq(['users', 'add', 'sneaky'])).toMatchObject({ code: 1, stderr: 'chatq: Forbidden.\n' });
  });

  it('a request the API refuses prints its message and the refused fields, exit 1', async () => {
    const run = await chatq(['providers', 'add', '--name', 'bad-kind', '--kind', 'nonsense'], {
      env: { CHATQ_TOKEN: stack.client.token },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^chatq: Invalid request\.\n {2}body\.kind: /);
  });

  it('an API that cannot be reached fails the command (exit 1) saying so', async () => {
    const run = await chatq(['chats'], { env: { CHATQ_URL: 'http://127.0.0.1:1' } });
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toMatch(/^chatq: cannot reach the API: /);
  });

  it('bad usage exits 2 with a message on stderr', async () => {
    for (const args of [
      ['frobnicate'],
      ['chat'],
      ['edit', 'only-a-chat-id'],
      ['chats', '--limit', '0'],
      ['usage', '--from', 'not a date'],
      ['providers', 'add', '--name', 'no-kind'],
      ['completion', 'fish'],
    ]) {
      const run = await chatq(args);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.stderr).not.toBe('');
    }
    expect(await chatq(['--help'])).toMatchObject({ code: 0, stderr: '' });
  });

  it('completion bash completes commands, subcommands and options in a real bash', async () => {
    const script = await chatq(['completion', 'bash']);
    expect(script.code).toBe(0);
    const file = join(config, 'chatq.bash');
    await writeFile(file, script.stdout);
    const complete = async (...words: string[]) => {
      const { stdout } = await promisify(execFile)('bash', [
        '-c',
        `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _chatq; echo "\${COMPREPLY[*]}"`,
        'bash',
        file,
        ...words,
      ]);
      return stdout.trim();
    };
    expect(await complete('chatq', 'pro')).toBe('providers');
    expect(await complete('chatq', 'models', '')).toBe('add');
    expect(await complete('chatq', 'providers', 'add', '--ap')).toBe('--api-key-stdin');
    expect(await complete('chatq', 'chat', '--model', 'x', '--j')).toBe('--json');
    expect(await complete('chatq', 'chat', '--chat', '')).toBe('');
    expect(await complete('chatq', 'tokens', '')).toBe('create revoke');
  });

  it('completion zsh offers commands with their descriptions, then subcommands and options, in a real zsh', async () => {
    const script = await chatq(['completion', 'zsh']);
    expect(script.code).toBe(0);
    expect(script.stdout.startsWith('#compdef chatq\n')).toBe(true);
    const file = join(config, '_chatq');
    await writeFile(file, script.stdout);
    // Outside a completion widget, words and CURRENT are plain variables: set them as zsh would,
    // and have _describe and _message print what they were given to offer.
    const complete = async (...words: string[]) => {
      const { stdout } = await promisify(execFile)('zsh', [
        '-c',
        [
          'compdef() { print -r -- "compdef $*" }',
          'source "$1"; shift',
          '_describe() { print -rl -- ${(P)${@[-1]}} }',
          '_message() { print -r -- "message: $*" }',
          'words=("$@"); CURRENT=$#; _chatq',
        ].join('\n'),
        'zsh',
        file,
        ...words,
      ]);
      return stdout.trim().split('\n');
    };
    const top = await complete('chatq', 'pro');
    expect(top[0]).toBe('compdef _chatq chatq');
    expect(top).toContain('providers:the model providers (admin)');
    expect(top).toContain(
      'chat:send TEXT in a new chat (or --chat ID) and stream the reply to stdout; the chat id goes to stderr',
    );
    expect(await complete('chatq', 'tokens', '')).toEqual([
      'compdef _chatq chatq',
      'create:mint a token for a user and print it (it is shown this once)',
      'revoke:revoke a token: it is refused from then on',
    ]);
    expect(await complete('chatq', 'providers', 'add', '--ap')).toContain(
      '--api-key-stdin:read the API key from stdin',
    );
    expect(await complete('chatq', 'chat', '--model', '')).toEqual(['compdef _chatq chatq', 'message: value']);
  });

  it('npx chatq runs the workspace bin', async () => {
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 'chatq', '--version'], { cwd: ROOT, env });
    const pkg = JSON.parse(await readFile(resolve(ROOT, 'apps/cli/package.json'), 'utf8'));
    expect(stdout).toBe(`${pkg.version}\n`);
  });
});
