import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { eventually } from '../harness/eventually.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = {
  api: join(ROOT, 'services/api/src/main.ts'),
  worker: join(ROOT, 'services/worker/src/main.ts'),
};

/** A TCP port nobody listens on right now. */
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
 * of its own. Its output is kept (the last 64 KiB) so a failing test can show it.
 */
export class ServiceProcess {
  readonly kind: 'api' | 'worker';
  readonly port: number;
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  #output = '';

  /** `entry` defaults to the service's main.ts; the benchmark runs its floor servers this way too. */
  constructor(kind: 'api' | 'worker', port: number, env: Record<string, string>, entry = ENTRY[kind]) {
    this.kind = kind;
    this.port = port;
    this.child = spawn(process.execPath, [entry], {
      env: {
        PATH: process.env.PATH,
        ...env,
        ...(kind === 'api' ? { PORT: String(port) } : { WORKER_PORT: String(port) }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-65_536);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

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
        return (await answers(`${this.url}/healthz`)) ? true : undefined;
      },
      { timeoutMs, intervalMs: 50, what: `${this.kind} on port ${this.port}` },
    );
    return this;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Ends the process for good (test cleanup): SIGKILL, then wait for it. TEST_SHOW_OUTPUT=1 prints its logs. */
  async stop(): Promise<Exit> {
    this.kill('SIGKILL');
    const exit = await this.exited;
    if (process.env.TEST_SHOW_OUTPUT) console.error(`--- ${this.kind} pid ${this.child.pid}\n${this.output}`);
    return exit;
  }
}

export async function startService(
  kind: 'api' | 'worker',
  env: Record<string, string>,
  port?: number,
  entry?: string,
): Promise<ServiceProcess> {
  return new ServiceProcess(kind, port ?? (await freePort()), env, entry).ready();
}

/** A redis-server of the test's own, with AOF in a temp dir so a restart keeps what it fsynced. */
export class PrivateRedis {
  readonly port: number;
  readonly dir: string;
  #child: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), 'chatq-redis-'));
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    this.#child = child;
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
        const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        probe.on('error', () => {});
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG' ? true : undefined;
        } catch {
          return undefined;
        } finally {
          probe.disconnect();
        }
      },
      { timeoutMs: 10_000, what: 'private redis-server' },
    );
  }

  /** Deletes everything the server persisted (call while it is down): the next start is empty. */
  forget(): void {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir);
  }

  /** Kills the server (SIGKILL: no goodbye to clients, AOF as of the last fsync). */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }

  async close(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A three-node Redis Cluster of the test's own (no replicas, nothing persisted). */
export class PrivateRedisCluster {
  readonly ports: number[];
  readonly dir: string;
  readonly #children: ChildProcess[] = [];

  private constructor(ports: number[]) {
    this.ports = ports;
    this.dir = mkdtempSync(join(tmpdir(), 'chatq-redis-cluster-'));
  }

  static async start(): Promise<PrivateRedisCluster> {
    // Cluster nodes also listen on port + 10000 for their bus: pick ports with that one free too.
    const ports: number[] = [];
    while (ports.length < 3) {
      const port = await freePort();
      if (port < 55_000 && !ports.includes(port)) ports.push(port);
    }
    const cluster = new PrivateRedisCluster(ports);
    for (const port of ports) {
      const dir = join(cluster.dir, String(port));
      mkdirSync(dir);
      cluster.#children.push(
        spawn(
          'redis-server',
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--dir',
            dir,
            '--save',
            '',
            '--appendonly',
            'no',
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    await eventually(
      async () => {
        const results = await Promise.allSettled(ports.map((p) => run('redis-cli', ['-p', String(p), 'ping'])));
        return results.every((r) => r.status === 'fulfilled' && r.value.stdout.trim() === 'PONG') ? true : undefined;
      },
      { timeoutMs: 10_000, what: 'redis cluster nodes' },
    );
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await eventually(
      async () => {
        const { stdout } = await run('redis-cli', ['-p', String(ports[0]), 'cluster', 'info']);
        return stdout.includes('cluster_state:ok') ? true : undefined;
      },
      { timeoutMs: 10_000, what: 'the cluster to be ok' },
    );
    return cluster;
  }

  /** The seed node chatq connects to (REDIS_URL with REDIS_CLUSTER=true). */
  get url(): string {
    return `redis://127.0.0.1:${this.ports[0]}`;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#children.map((child) => {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        return child.exitCode === null && child.signalCode === null ? gone : undefined;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A Postgres cluster of the test's own (initdb + pg_ctl from the installed binaries, in a temp
 * dir), so a test can stop and restart it without touching the shared server. As root, the
 * binaries run as the `postgres` user.
 */
export class PrivatePostgres {
  readonly port: number;
  readonly dir: string;
  readonly bin: string;

  private constructor(port: number, bin: string) {
    this.port = port;
    this.bin = bin;
    this.dir = mkdtempSync(join(tmpdir(), 'chatq-pg-'));
  }

  static async start(): Promise<PrivatePostgres> {
    const { stdout } = await run('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1']);
    const pg = new PrivatePostgres(await freePort(), stdout.trim());
    if (process.getuid?.() === 0) chownSync(pg.dir, ...(await pg.postgresIds()));
    await pg.exec('initdb', ['-D', join(pg.dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    await pg.start();
    return pg;
  }

  private async postgresIds(): Promise<[number, number]> {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return [Number(uid.stdout), Number(gid.stdout)];
  }

  private exec(tool: string, args: string[]) {
    const path = join(this.bin, tool);
    return process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', path, ...args]) : run(path, args);
  }

  url(database = 'chatq'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await this.exec('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'log'),
      '-o',
      options,
      '-w',
      'start',
    ]);
  }

  /** `fast` shutdown: clients are disconnected, in-flight transactions roll back. */
  async stop(): Promise<void> {
    await this.exec('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
  }

  async close(): Promise<void> {
    await this.stop().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Waits `ms`, for the few places where a test lets an outage last a while on purpose. */
export const hold = (ms: number) => sleep(ms);
