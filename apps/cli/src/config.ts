import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { UsageError } from './errors.ts';

/** Where the CLI calls and as whom. */
export interface Connection {
  url: string;
  token: string;
}

/** Where the API listens when nothing says otherwise: `npm start`'s default. */
export const DEFAULT_URL = 'http://127.0.0.1:8080';

/**
 * `$XDG_CONFIG_HOME/chatq/config.json`, or `~/.config/chatq/config.json`: the XDG spec has an unset,
 * empty or relative XDG_CONFIG_HOME mean the default.
 */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.config');
  return join(base, 'chatq', 'config.json');
}

/** What `chatq login` stored, or nothing when it never ran. */
async function readStored(file: string): Promise<Partial<Connection>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  try {
    const json = JSON.parse(text) as Partial<Connection>;
    return {
      url: typeof json.url === 'string' ? json.url : undefined,
      token: typeof json.token === 'string' ? json.token : undefined,
    };
  } catch {
    throw new UsageError(`${file} is not valid JSON: run chatq login again`);
  }
}

/**
 * The connection to use: CHATQ_URL and CHATQ_TOKEN win, each on its own, over what `chatq login`
 * stored; the URL defaults to a local `npm start`. Without a token the command cannot run.
 */
export async function resolveConnection(env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const stored = env.CHATQ_URL && env.CHATQ_TOKEN ? {} : await readStored(configPath(env));
  const url = env.CHATQ_URL || stored.url || DEFAULT_URL;
  const token = env.CHATQ_TOKEN || stored.token;
  if (!token) throw new UsageError('no API token: set CHATQ_TOKEN or run chatq login --url URL --token TOKEN');
  return { url, token };
}

/**
 * Stores the connection for later commands, readable by the user alone (0600, in a 0700 folder).
 * Written to a fresh file that replaces the old one, so the token is never in a file with looser
 * permissions, and a crash leaves the old file or the new one, never half of one.
 */
export async function storeConnection(connection: Connection, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const file = configPath(env);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(connection, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  // writeFile's mode goes through the umask, which could leave the owner without read or write.
  await chmod(temp, 0o600);
  await rename(temp, file);
  return file;
}
