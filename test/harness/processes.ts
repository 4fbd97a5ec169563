import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ListeningMessage, withTimeout } from '@chatq/platform';
import { eventually } from './eventually.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = {
  api: join(ROOT, 'services/api/src/main.ts'),
  worker: join(ROOT, 'services/worker/src/main.ts'),
};
/** How much of a process's output is kept: enough for a failing test to show, bounded for long runs. */
const OUTPUT_KEPT = 65_536;

/** A TCP port nobody listens on right now (the OS picks it; PORT=0 would not tell us which). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

/** How a child exited: its code, or the signal that ended it. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A chatq API or worker running as a real process (`node services/<kind>/src/main.ts`), on a port
 * of its own (`PORT` for the API, `WORKER_PORT` for the worker's probe server). Port 0 (the default
 * of `startService`) lets the OS choose and the service announces it over IPC
 * (`announceListening`): a port picked beforehand and freed could be taken by another test's
 * process before the service binds it, and the readiness probe would then talk to that one. Its
 * output is kept (the last 64 KiB) so a failing test can show it, and so a test can wait for a log
 * line.
 */
export class ServiceProcess {
  readonly kind: 'api' | 'worker';
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  #port: number;
  #output = '';

  /** `entry` defaults to the service's main.ts; the benchmark runs its floor servers this way too. */
  /** `nodeArgs` go before the entry: V8 flags that NODE_OPTIONS does not accept. */
  constructor(
    kind: 'api' | 'worker',
    port: number,
    env: Record<string, string>,
    entry = ENTRY[kind],
    nodeArgs: string[] = [],
  ) {
    this.kind = kind;
    this.#port = port;
    this.child = spawn(process.execPath, [...nodeArgs, entry], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        ...env,
        ...(kind === 'api' ? { PORT: String(port) } : { WORKER_PORT: String(port) }),
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.on('message', (message: Partial<ListeningMessage>) => {
      if (message.chatq === 'listening' && typeof message.port === 'number') this.#port = message.port;
    });
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-OUTPUT_KEPT);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The port it listens on: known once it has announced it when started on port 0. */
  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What it printed (JSON log lines, as far as its LOG_LEVEL lets them through). */
  get output(): string {
    return this.#output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until `/healthz` answers, failing early (with the output) if the process dies. */
  async ready(timeoutMs = 20_000): Promise<this> {
    await eventually(
      async () => {
        if (!this.running) throw new Error(`${this.kind} exited during startup:\n${this.output}`);
        if (this.port === 0) return undefined;
        return (await answers(`${this.url}/healthz`)) ? true : undefined;
      },
      { timeoutMs, intervalMs: 50, what: `${this.kind} on port ${this.port}` },
    );
    return this;
  }

  /**
   * Waits until the process has printed `text` (a log message, say), failing early if it dies.
   * The process must log at a level that lets the line through.
   */
  async printed(text: string, timeoutMs = 15_000): Promise<void> {
    await eventually(
      async () => {
        if (this.output.includes(text)) return true;
        if (!this.running) throw new Error(`${this.kind} exited before printing ${text}:\n${this.output}`);
        return undefined;
      },
      { timeoutMs, intervalMs: 50, what: `${this.kind} to print ${text}` },
    );
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Asks it to stop (SIGTERM) and waits for the exit; SIGKILL when it takes longer than `graceMs`. */
  async terminate(graceMs = 5_000): Promise<Exit> {
    this.kill('SIGTERM');
    return withTimeout(this.exited, graceMs, `${this.kind} to exit on SIGTERM`).catch(() => this.stop());
  }

  /** Ends the process for good (test cleanup): SIGKILL, then wait for it. TEST_SHOW_OUTPUT=1 prints its logs. */
  async stop(): Promise<Exit> {
    this.kill('SIGKILL');
    const exit = await this.exited;
    if (process.env.TEST_SHOW_OUTPUT) console.error(`--- ${this.kind} pid ${this.child.pid}\n${this.output}`);
    return exit;
  }
}

/** Starts a service process (on `port`, or one the OS picks) and waits until its `/healthz` answers. */
export async function startService(
  kind: 'api' | 'worker',
  env: Record<string, string>,
  port = 0,
  entry?: string,
  nodeArgs?: string[],
): Promise<ServiceProcess> {
  return new ServiceProcess(kind, port, env, entry, nodeArgs).ready();
}
