// What the benchmark reads of processes from /proc (Linux only; elsewhere its figures are NaN or
// zero): a process's memory, and where a measure's CPU goes by process: the service under test,
// Postgres (every server process: backends, WAL writer, checkpointer), Redis, and the benchmark
// itself (the load generator runs in this process). On a 2-core machine every process competes
// for the same cores, so a side's rate is bounded by its CPU per operation summed over all of
// them; this says which process spends it.
import { readdirSync, readFileSync } from 'node:fs';

/** A memory figure of process `pid`, in MB: VmHWM is its peak resident set, VmRSS its current one. */
export function memoryMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
}

/** Clock ticks per second of /proc's utime and stime: 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

/** Cumulative CPU (user + system) of one process, in ms; undefined once it is gone. */
function processCpuMs(pid: number): number | undefined {
  try {
    // Fields after the command name, which may itself hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Pids of the processes whose command name starts with `name` (postgres forks one per connection). */
function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').startsWith(name)) pids.push(Number(entry));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return pids;
}

/** CPU ms by process group since `start()`. */
export type CpuSplit = Record<'service' | 'postgres' | 'redis' | 'bench', number>;

/**
 * Starts counting the CPU of `servicePid` and of the machine's Postgres and Redis processes; the
 * returned function gives what each spent since. A process that ends in between takes its time
 * with it, so measures keep their connections open (pools) for the whole window; one that starts
 * in between is counted whole, all its time being inside the window.
 */
export function cpuSince(servicePid: number): () => CpuSplit {
  const snapshot = (pids: number[]) => new Map(pids.map((pid) => [pid, processCpuMs(pid) ?? 0]));
  const spent = (before: Map<number, number>, name: string) =>
    pidsNamed(name).reduce((total, pid) => total + (processCpuMs(pid) ?? 0) - (before.get(pid) ?? 0), 0);
  const before = {
    service: snapshot([servicePid]),
    postgres: snapshot(pidsNamed('postgres')),
    redis: snapshot(pidsNamed('redis-server')),
  };
  const bench = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(bench);
    return {
      service: (processCpuMs(servicePid) ?? 0) - (before.service.get(servicePid) ?? 0),
      postgres: spent(before.postgres, 'postgres'),
      redis: spent(before.redis, 'redis-server'),
      bench: (used.user + used.system) / 1000,
    };
  };
}

/** A split as CPU ms per operation, e.g. `api 0.41 + pg 0.52 + redis 0.12 + load 0.20 = 1.25`. */
export function perOperation(split: CpuSplit, operations: number, serviceName: string): string {
  const each = (ms: number) => (ms / operations).toFixed(2);
  const total = split.service + split.postgres + split.redis + split.bench;
  return `${serviceName} ${each(split.service)} + pg ${each(split.postgres)} + redis ${each(split.redis)} + bench ${each(split.bench)} = ${each(total)}`;
}
