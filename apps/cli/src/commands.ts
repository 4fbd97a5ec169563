import { randomUUID } from 'node:crypto';
import { ChatqClient, type ModelConfig } from '@chatq/client';
import { resolveConnection, storeConnection } from './config.ts';
import { CommandFailed, UsageError } from './errors.ts';
import { type FollowTarget, followTurn, outcomeProblem } from './follow.ts';
import { dollars, minutes, note, printJson, printLine, printTable } from './output.ts';

/*
 * The actions of `chatq`'s commands, all through the typed client. Each prints its result (JSON with
 * --json) and throws what main.ts turns into a message and an exit code.
 */

interface JsonOption {
  json?: boolean;
}

async function connect(): Promise<ChatqClient> {
  const { url, token } = await resolveConnection();
  return new ChatqClient({ baseUrl: url, token });
}

/** Most of stdin a command reads: well over any message or key the API takes, which refuses the rest. */
const MAX_STDIN_BYTES = 1024 * 1024;

async function readStdin(what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_STDIN_BYTES) throw new UsageError(`${what} on stdin is over ${MAX_STDIN_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A message from the command line: its words joined, or stdin for `-`. */
async function messageText(words: string[]): Promise<string> {
  if (words.length === 1 && words[0] === '-') return (await readStdin('the message')).replace(/\r?\n$/, '');
  return words.join(' ');
}

/** The name `chatq models` shows and `--model` takes: the display name, else the provider's model name. */
const modelName = (m: ModelConfig) => m.display_name ?? m.model;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The model config id `--model` names: an id as it is, a name looked up among the caller's configs. */
async function resolveModel(client: ChatqClient, value: string | undefined): Promise<string | undefined> {
  if (value === undefined || UUID.test(value)) return value;
  const matches: ModelConfig[] = [];
  for await (const config of client.paginate('listModelConfigs', { query: { limit: 100 } })) {
    if (modelName(config) === value) matches.push(config);
  }
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length === 0) throw new CommandFailed(`no model named "${value}" (chatq models lists them)`);
  throw new CommandFailed(
    `${matches.length} models are named "${value}"; pick one by id: ${matches.map((m) => m.id).join(', ')}`,
  );
}

/**
 * Follows the turn and prints its reply: streamed to stdout as it arrives, or, with --json, the
 * outcome once the turn ended. A turn that did not complete fails the command (exit 1).
 */
async function streamReply(
  client: ChatqClient,
  chatId: string,
  awaited: FollowTarget,
  opts: JsonOption & { message: unknown },
) {
  let last = '\n';
  const outcome = await followTurn(client, chatId, awaited, {
    text: (delta) => {
      if (opts.json || delta === '') return;
      process.stdout.write(delta);
      last = delta.at(-1)!;
    },
    note: (line) => {
      if (last !== '\n') process.stdout.write('\n');
      last = '\n';
      note(line);
    },
  });
  if (opts.json) printJson({ chat_id: chatId, message: opts.message, ...outcome });
  else if (last !== '\n') process.stdout.write('\n');
  const problem = outcomeProblem(outcome);
  if (problem) throw new CommandFailed(problem);
}

export async function login(opts: { url: string; token: string } & JsonOption): Promise<void> {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new UsageError(`--url ${opts.url} is not a URL`);
  }
  const client = new ChatqClient({ baseUrl: url.href, token: opts.token });
  // Stored only once the API accepted it: a typo shows now, not at the next command.
  const { body } = await client.getMe();
  const file = await storeConnection({ url: client.baseUrl, token: opts.token });
  if (opts.json) printJson({ url: client.baseUrl, user: body.user, config: file });
  else note(`logged in to ${client.baseUrl} as ${body.user.username} (${body.user.role}); saved in ${file}`);
}

export async function chat(words: string[], opts: { chat?: string; model?: string } & JsonOption): Promise<void> {
  const content = await messageText(words);
  const client = await connect();
  const model_config_id = await resolveModel(client, opts.model);
  const idempotency = { 'idempotency-key': randomUUID() };
  if (opts.chat === undefined) {
    const { body } = await client.createChat({ body: { content, model_config_id }, headers: idempotency });
    note(body.chat.id);
    return streamReply(client, body.chat.id, { turnId: body.turn!.id }, { ...opts, message: body.message });
  }
  const chatId = opts.chat;
  const sent = await client.sendMessage({
    params: { chat_id: chatId },
    body: { content, model_config_id },
    headers: idempotency,
  });
  note(chatId);
  if (sent.status === 201) {
    return streamReply(client, chatId, { turnId: sent.body.turn.id }, { ...opts, message: sent.body.message });
  }
  if (!opts.json) note('queued: the reply follows once the running turn ends');
  const queued = sent.body.queued_message;
  return streamReply(client, chatId, { queuedMessageId: queued.id }, { ...opts, message: queued });
}

export async function edit(
  chatId: string,
  messageId: string,
  words: string[],
  opts: { model?: string } & JsonOption,
): Promise<void> {
  const content = await messageText(words);
  const client = await connect();
  const model_config_id = await resolveModel(client, opts.model);
  const { body } = await client.editMessage({
    params: { chat_id: chatId, message_id: messageId },
    body: { content, model_config_id },
    headers: { 'idempotency-key': randomUUID() },
  });
  note(chatId);
  return streamReply(client, chatId, { turnId: body.turn.id }, { ...opts, message: body.message });
}

export async function interrupt(chatId: string, opts: JsonOption): Promise<void> {
  const client = await connect();
  const { body } = await client.interruptChat({ params: { chat_id: chatId } });
  if (opts.json) printJson(body);
  else printLine(`chat ${body.chat.id} is ${body.chat.status}`);
}

export async function chats(opts: { limit: number; status?: string; archived?: boolean } & JsonOption): Promise<void> {
  const client = await connect();
  const query = {
    limit: Math.min(opts.limit, 100),
    // The API refuses an unknown status with the list it takes.
    status: opts.status as 'idle' | undefined,
    archived: opts.archived ?? false,
  };
  const found = [];
  for await (const chat of client.paginate('listChats', { query })) {
    found.push(chat);
    if (found.length === opts.limit) break;
  }
  if (opts.json) return printJson(found);
  printTable(
    ['ID', 'STATUS', 'UPDATED', 'TITLE'],
    found.map((c) => [c.id, c.status, minutes(c.updated_at), c.title]),
  );
}

/** The caller's model configs by id, for showing a message's model by name. */
async function modelsById(client: ChatqClient): Promise<Map<string, ModelConfig>> {
  const byId = new Map<string, ModelConfig>();
  for await (const config of client.paginate('listModelConfigs', { query: { limit: 100 } }))
    byId.set(config.id, config);
  return byId;
}

export async function messages(chatId: string, opts: JsonOption): Promise<void> {
  const client = await connect();
  const [pages, models] = await Promise.all([
    (async () => {
      const data = [];
      let after: string | undefined;
      for (;;) {
        const { body } = await client.listMessages({ params: { chat_id: chatId }, query: { limit: 100, after } });
        data.push(...body.data);
        if (!body.has_more || body.next_cursor === null) return { data, queued: body.queued };
        after = body.next_cursor;
      }
    })(),
    opts.json ? undefined : modelsById(client),
  ]);
  if (opts.json) return printJson(pages);
  const model = (id: string | null) => {
    const config = id ? models!.get(id) : undefined;
    return config ? modelName(config) : (id ?? 'no model');
  };
  for (const m of pages.data) {
    const flags = m.interrupted ? ' (interrupted)' : '';
    printLine(`${m.id}  ${m.role}  ${model(m.model_config_id)}${flags}`);
    printLine(m.content || JSON.stringify(m.parts ?? []));
    printLine();
  }
  for (const q of pages.queued) {
    printLine(`${q.id}  queued  ${model(q.model_config_id)}`);
    printLine(q.content);
    printLine();
  }
}

export async function models(opts: JsonOption): Promise<void> {
  const client = await connect();
  const all = [...(await modelsById(client)).values()];
  if (opts.json) return printJson(all);
  printTable(
    ['ID', 'NAME', 'MODEL', 'DEFAULT', 'ENABLED'],
    all.map((m) => [m.id, modelName(m), m.model, m.is_default ? 'yes' : '', m.enabled ? 'yes' : 'no']),
  );
}

export async function usage(opts: { from?: string; to?: string } & JsonOption): Promise<void> {
  const client = await connect();
  const { body } = await client.getMyUsage({ query: { from: opts.from, to: opts.to } });
  if (opts.json) return printJson(body);
  const u = body.usage;
  const cost = u.cost_micros === null ? 'unpriced' : dollars(u.cost_micros);
  printTable(null, [
    ['from', body.from ?? 'the start'],
    ['to', body.to ?? 'now'],
    ['replies', String(u.replies)],
    ['input tokens', String(u.input_tokens)],
    ['output tokens', String(u.output_tokens)],
    ['reasoning tokens', String(u.reasoning_tokens)],
    ['cache read tokens', String(u.cache_read_tokens)],
    ['cache write tokens', String(u.cache_write_tokens)],
    ['cost', u.cost_micros !== null && u.unpriced_replies ? `${cost} (${u.unpriced_replies} replies unpriced)` : cost],
  ]);
}

export async function providers(opts: JsonOption): Promise<void> {
  const client = await connect();
  const all = [];
  for await (const provider of client.paginate('listProviders', { query: { limit: 100 } })) all.push(provider);
  if (opts.json) return printJson(all);
  printTable(
    ['ID', 'NAME', 'KIND', 'KEY', 'BASE URL'],
    all.map((p) => [p.id, p.name, p.kind, p.has_api_key ? 'set' : 'none', p.base_url ?? '']),
  );
}

export async function addProvider(
  opts: { name: string; kind: string; baseUrl?: string; apiKeyStdin?: boolean } & JsonOption,
): Promise<void> {
  const apiKey = opts.apiKeyStdin ? (await readStdin('the API key')).trim() : undefined;
  if (apiKey === '') throw new UsageError('--api-key-stdin: stdin held no key');
  const client = await connect();
  const { body } = await client.createProvider({
    // The API refuses an unknown kind with the list it takes.
    body: { name: opts.name, kind: opts.kind as 'mock', base_url: opts.baseUrl, api_key: apiKey },
  });
  if (opts.json) printJson(body);
  else printLine(body.provider.id);
}

export async function addModel(
  opts: { provider: string; model: string; displayName?: string; default?: boolean } & JsonOption,
): Promise<void> {
  const client = await connect();
  const { body } = await client.createModelConfig({
    body: {
      provider_id: opts.provider,
      model: opts.model,
      display_name: opts.displayName,
      is_default: opts.default ?? false,
    },
  });
  if (opts.json) printJson(body);
  else printLine(body.model_config.id);
}

export async function users(opts: JsonOption): Promise<void> {
  const client = await connect();
  const all = [];
  for await (const user of client.paginate('listUsers', { query: { limit: 100 } })) all.push(user);
  if (opts.json) return printJson(all);
  printTable(
    ['ID', 'NAME', 'ROLE', 'DISABLED', 'CREATED'],
    all.map((u) => [u.id, u.username, u.role, u.disabled ? 'yes' : '', minutes(u.created_at)]),
  );
}

export async function addUser(name: string, opts: { admin?: boolean } & JsonOption): Promise<void> {
  const client = await connect();
  const { body } = await client.createUser({ body: { username: name, role: opts.admin ? 'admin' : 'member' } });
  if (opts.json) printJson(body);
  else printLine(body.user.id);
}

export async function createToken(userId: string, opts: JsonOption): Promise<void> {
  const client = await connect();
  const { body } = await client.createToken({ params: { id: userId } });
  if (opts.json) printJson(body);
  else printLine(body.token);
}

export async function revokeToken(userId: string, tokenId: string, opts: JsonOption): Promise<void> {
  const client = await connect();
  await client.revokeToken({ params: { id: userId, token_id: tokenId } });
  if (opts.json) printJson({ revoked: true, user_id: userId, token_id: tokenId });
  else note(`token ${tokenId} revoked`);
}
