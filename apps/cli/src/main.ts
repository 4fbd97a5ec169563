import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { CommandFailed, EXIT, UsageError } from './errors.ts';

/*
 * The command tree. Only commander and this file load for every command: the client (zod and the
 * route table, most of a start-up) is imported by the actions that call the API, so `--help` and
 * `completion` answer at once.
 */
const commands = () => import('./commands.ts');

/** Most chats `chatq chats` lists in one run. */
export const MAX_LIST_CHATS = 1_000;

function count(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
    return n;
  };
}

/** A date or instant for `usage`, sent as the ISO 8601 instant the API takes. */
function instant(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('must be a date such as 2025-07-01 or 2025-07-01T12:00:00Z');
  return new Date(ms).toISOString();
}

const json = () => new Option('--json', 'print the result as JSON');
const model = () => new Option('--model <id|name>', 'the model config, by id or by the name `chatq models` shows');

/** Builds `chatq`'s commands; actions run through `main`, which maps what they throw to exit codes. */
export function buildProgram(): Command {
  const program = new Command('chatq')
    .description('chatq from a terminal: chat with models, follow replies, and administer a chatq API.')
    .version(pkg.version)
    // Settings inherited by every command added below: errors become exceptions main maps to exit 2.
    .exitOverride()
    // `models --json` and `models add --json` are two commands' options: each takes what follows it.
    .enablePositionalOptions()
    .showHelpAfterError('(run chatq help for usage)')
    .addHelpText(
      'after',
      `
Connection: CHATQ_URL and CHATQ_TOKEN, else what \`chatq login\` stored in
$XDG_CONFIG_HOME/chatq/config.json (~/.config by default); the URL defaults to http://127.0.0.1:8080.
Exit codes: 0 done, 1 the API or the turn failed, 2 bad usage.`,
    );

  program
    .command('login')
    .description('check a token against the API and store it, with the URL, for later commands')
    .requiredOption('--url <url>', 'where the API listens, e.g. http://127.0.0.1:8080')
    .requiredOption('--token <token>', 'an API token (cq_...)')
    .addOption(json())
    .action(async (opts: { url: string; token: string; json?: boolean }) => (await commands()).login(opts));

  program
    .command('chat')
    .description('send TEXT in a new chat (or --chat ID) and stream the reply to stdout; the chat id goes to stderr')
    .argument('<text...>', 'the message (words are joined with spaces; - reads it from stdin)')
    .option('--chat <id>', 'continue this chat instead of starting one')
    .addOption(model())
    .addOption(json())
    .action(async (text: string[], opts: { chat?: string; model?: string; json?: boolean }) =>
      (await commands()).chat(text, opts),
    );

  program
    .command('edit')
    .description('replace a user message (and everything after it) and stream the new reply')
    .argument('<chat-id>', 'the chat')
    .argument('<message-id>', 'the user message to replace')
    .argument('<text...>', 'the new text (- reads it from stdin)')
    .addOption(model())
    .addOption(json())
    .action(async (chatId: string, messageId: string, text: string[], opts: { model?: string; json?: boolean }) =>
      (await commands()).edit(chatId, messageId, text, opts),
    );

  program
    .command('interrupt')
    .description("stop the chat's running turn, keeping the reply so far")
    .argument('<chat-id>', 'the chat')
    .addOption(json())
    .action(async (chatId: string, opts: { json?: boolean }) => (await commands()).interrupt(chatId, opts));

  program
    .command('chats')
    .description('your chats, newest first')
    .addOption(
      new Option('--limit <n>', `how many (at most ${MAX_LIST_CHATS})`).argParser(count(MAX_LIST_CHATS)).default(20),
    )
    .option('--status <status>', 'only chats in this status: idle, running, error...')
    .option('--archived', 'archived chats instead of the others')
    .addOption(json())
    .action(async (opts: { limit: number; status?: string; archived?: boolean; json?: boolean }) =>
      (await commands()).chats(opts),
    );

  program
    .command('messages')
    .description("a chat's conversation, oldest first, and the messages queued behind its running turn")
    .argument('<chat-id>', 'the chat')
    .addOption(json())
    .action(async (chatId: string, opts: { json?: boolean }) => (await commands()).messages(chatId, opts));

  const models = program
    .command('models')
    .description('the model configs you can chat with (admins: all of them)')
    .addOption(json())
    .action(async (opts: { json?: boolean }) => (await commands()).models(opts));
  models
    .command('add')
    .description('add a model config on a provider (admin)')
    .requiredOption('--provider <id>', 'the provider')
    .requiredOption('--model <model>', "the provider's model name, e.g. gpt-4o-mini")
    .option('--display-name <name>', 'the name users see and pick it by')
    .option('--default', 'make it the default for new chats')
    .addOption(json())
    .action(
      async (opts: { provider: string; model: string; displayName?: string; default?: boolean; json?: boolean }) =>
        (await commands()).addModel(opts),
    );

  program
    .command('usage')
    .description('your token usage and spend')
    .addOption(new Option('--from <date>', 'from this date or instant (inclusive)').argParser(instant))
    .addOption(new Option('--to <date>', 'up to this date or instant (exclusive)').argParser(instant))
    .addOption(json())
    .action(async (opts: { from?: string; to?: string; json?: boolean }) => (await commands()).usage(opts));

  const providers = program
    .command('providers')
    .description('the model providers (admin)')
    .addOption(json())
    .action(async (opts: { json?: boolean }) => (await commands()).providers(opts));
  providers
    .command('add')
    .description('add a provider (admin); the key is read from stdin so it stays out of shell history')
    .requiredOption('--name <name>', 'a unique name')
    .requiredOption('--kind <kind>', 'the provider kind, e.g. openai or mock')
    .option('--base-url <url>', "the provider's endpoint, when not its public one")
    .option('--api-key-stdin', 'read the API key from stdin')
    .addOption(json())
    .action(async (opts: { name: string; kind: string; baseUrl?: string; apiKeyStdin?: boolean; json?: boolean }) =>
      (await commands()).addProvider(opts),
    );

  const users = program
    .command('users')
    .description('the users (admin)')
    .addOption(json())
    .action(async (opts: { json?: boolean }) => (await commands()).users(opts));
  users
    .command('add')
    .description('add a user (admin); prints the new user id')
    .argument('<name>', 'the username')
    .option('--admin', 'an admin rather than a member')
    .addOption(json())
    .action(async (name: string, opts: { admin?: boolean; json?: boolean }) => (await commands()).addUser(name, opts));

  const tokens = program.command('tokens').description("API tokens (admins: anyone's; members: their own)");
  tokens
    .command('create')
    .description('mint a token for a user and print it (it is shown this once)')
    .argument('<user-id>', 'the user')
    .addOption(json())
    .action(async (userId: string, opts: { json?: boolean }) => (await commands()).createToken(userId, opts));
  tokens
    .command('revoke')
    .description('revoke a token: it is refused from then on')
    .argument('<user-id>', 'the user')
    .argument('<token-id>', 'the token')
    .addOption(json())
    .action(async (userId: string, tokenId: string, opts: { json?: boolean }) =>
      (await commands()).revokeToken(userId, tokenId, opts),
    );

  program
    .command('completion')
    .description('print a shell completion script: eval "$(chatq completion bash)" (or zsh)')
    .argument('<shell>', 'bash or zsh')
    .action(async (shell: string) => {
      const { completionScript } = await import('./completion.ts');
      process.stdout.write(completionScript(program, shell));
    });

  return program;
}

/** Runs `chatq` with `argv` (the words after the command) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    return report(err);
  }
}

/** Says what went wrong on stderr, as the API worded it where it did, and picks the exit code. */
function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander printed the message (or the help, or the version) already.
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof UsageError) {
    console.error(`chatq: ${err.message}`);
    return EXIT.usage;
  }
  if (err instanceof CommandFailed) {
    console.error(`chatq: ${err.message}`);
    return EXIT.failed;
  }
  if (isApiError(err)) {
    const { message, detail, validations } = err.body;
    console.error(`chatq: ${message}${detail ? ` ${detail}` : ''}`);
    for (const v of validations ?? []) console.error(`  ${v.field}: ${v.detail}`);
    return EXIT.failed;
  }
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const message = err instanceof Error ? err.message : String(err);
  // fetch's own words for a connection that failed say nothing of what it was fetching.
  console.error(`chatq: ${message === 'fetch failed' ? 'cannot reach the API' : message}${cause}`);
  return EXIT.failed;
}

/** A `ChatqApiError`, recognised without importing the client (which only API commands load). */
function isApiError(
  err: unknown,
): err is { body: { message: string; detail?: string; validations?: { field: string; detail: string }[] } } {
  return err instanceof Error && err.name === 'ChatqApiError' && typeof (err as { body?: unknown }).body === 'object';
}
