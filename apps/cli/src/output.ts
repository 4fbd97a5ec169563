/** What commands print: a result as JSON, or for people, tables and plain lines. */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A note for the person at the terminal, kept out of stdout so pipes get the result alone. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Rows (under a header, when given), columns padded to their widest cell; the last column runs free. */
export function printTable(header: string[] | null, rows: string[][]): void {
  const all = header ? [header, ...rows] : rows;
  const widths = (all[0] ?? []).map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  for (const row of all) {
    printLine(
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    );
  }
}

/** `2025-07-01T09:30:12.345Z` as `2025-07-01 09:30` (UTC). */
export const minutes = (timestamp: string) => new Date(timestamp).toISOString().slice(0, 16).replace('T', ' ');

/** Integer microdollars as dollars, e.g. 4599 as `$0.004599`. */
export const dollars = (micros: number) => `$${(micros / 1_000_000).toFixed(6)}`;
