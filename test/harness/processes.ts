import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { eventually } from './stack.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A port nothing listens on right now (the OS picks it; PORT=0 would not tell us which). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** A chatq service running as its own Node process. */
export interface ServiceProcess {
  child: ChildProcess;
  /** Everything it printed (JSON log lines when LOG_LEVEL allows). */
  output: () => string;
  stop: () => Promise<void>;
}

function start(entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts `services/api/src/main.ts` on a free port and waits until it answers. */
export async function spawnApi(env: Record<string, string>): Promise<ServiceProcess & { baseUrl: string }> {
  const port = await freePort();
  const service = start('services/api/src/main.ts', { ...env, PORT: String(port) });
  const baseUrl = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (service.child.exitCode !== null) throw new Error(`api exited early:\n${service.output()}`);
      return fetch(`${baseUrl}/healthz`).then(
        (res) => (res.ok ? true : undefined),
        () => undefined,
      );
    },
    { timeoutMs: 20_000, intervalMs: 50, what: 'api process to answer' },
  );
  return { ...service, baseUrl };
}

/** Starts `services/worker/src/main.ts` and waits for its start-up log line. */
export async function spawnWorker(env: Record<string, string>): Promise<ServiceProcess> {
  const service = start('services/worker/src/main.ts', { ...env, LOG_LEVEL: 'info' });
  await eventually(
    async () => {
      if (service.child.exitCode !== null) throw new Error(`worker exited early:\n${service.output()}`);
      return service.output().includes('"worker started"') ? true : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 50, what: 'worker process to start' },
  );
  return service;
}
