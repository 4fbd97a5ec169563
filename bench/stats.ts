// How the benchmark (bench/run.ts, bench/facade.ts) turns repeated runs into one figure. The machine
// may be shared and a database warms up as it grows, so every figure is the median of alternated
// rounds: one slow or lucky round moves it less than it would a best or a mean.

/** What one load run yields: its rate and its latency percentiles (ms). */
export interface Throughput {
  perSec: number;
  p50: number;
  p99: number;
}

/** A figure of chatq's beside its baseline's, and chatq's as a fraction of the baseline's. */
export interface Comparison {
  subject: number;
  baseline: number;
  ratio: number;
}

/** The middle value (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The nearest-rank percentile `p` (0..1) of ascending `sorted`; NaN for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** Each figure's own median over `runs` (the median p99 need not come from the median-rate run). */
export function medianOf(runs: readonly Throughput[]): Throughput {
  return {
    perSec: median(runs.map((r) => r.perSec)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
  };
}

/**
 * Two sides measured round by round: each side's median, and the median of the per-round ratios.
 * A round the whole machine slowed down in moves both sides of it, and so their ratio less than
 * either figure.
 */
export function paired(subject: readonly number[], baseline: readonly number[]): Comparison {
  return {
    subject: median(subject),
    baseline: median(baseline),
    ratio: median(subject.map((s, i) => s / baseline[i]!)),
  };
}

/** Two sides measured at different times (no rounds to pair): the ratio of their medians. */
export function unpaired(subject: readonly number[], baseline: readonly number[]): Comparison {
  const [s, b] = [median(subject), median(baseline)];
  return { subject: s, baseline: b, ratio: s / b };
}

/**
 * Runs `measure` once per side per round, `rounds` times, reversing the sides' order every other
 * round so that no side always goes first (on a colder cache) or last (on a database grown by the
 * others). Returns each side's runs in round order, so round i of one side pairs with round i of
 * another.
 */
export async function alternate<S extends string, T>(
  sides: readonly S[],
  rounds: number,
  measure: (side: S, round: number) => Promise<T>,
): Promise<Record<S, T[]>> {
  const runs = Object.fromEntries(sides.map((side) => [side, [] as T[]])) as Record<S, T[]>;
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) runs[side].push(await measure(side, round));
  }
  return runs;
}

/** `measure` run `rounds` times in a row: rounds of one side, with nothing to alternate with. */
export async function repeat<T>(rounds: number, measure: (round: number) => Promise<T>): Promise<T[]> {
  return (await alternate(['only'], rounds, (_side, round) => measure(round))).only;
}

/** `fn` over `items`, at most `limit` at a time. */
export async function eachAtMost<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) await fn(items[i]!, i);
    }),
  );
}
