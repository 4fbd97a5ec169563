import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from './eventually.ts';
import { freePort } from './processes.ts';
import { redisAnswers } from './services.ts';

/*
 * Postgres and Redis servers of a test's own, for tests that stop, kill or restart them (outages),
 * or need a topology the shared ones lack (a cluster). Everything lives in a temp dir.
 */

const run = promisify(execFile);

/** A redis-server of the test's own, with AOF in a temp dir so a restart keeps what it fsynced. */
export class PrivateRedis {
  readonly port: number;
  readonly dir: string;
  /** Further redis-server arguments, e.g. `['--maxmemory', '2mb']`. */
  readonly args: readonly string[];
  #child: ChildProcess | undefined;

  private constructor(port: number, args: readonly string[]) {
    this.port = port;
    this.args = args;
    this.dir = mkdtempSync(join(tmpdir(), 'chatq-redis-'));
  }

  static async start(args: readonly string[] = []): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), args);
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
        ...this.args,
      ],
      { stdio: 'ignore' },
    );
    this.#child = child;
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
        return (await redisAnswers(this.url)) ? true : undefined;
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
