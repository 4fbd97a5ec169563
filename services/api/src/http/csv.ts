/**
 * Whether a request's `Accept` asks for CSV over JSON: `text/csv` listed with a quality above
 * `application/json`'s (absent counts as 0). Wildcards and ties keep JSON, the API's default.
 */
export function prefersCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const quality = new Map<string, number>();
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range
      .toLowerCase()
      .split(';')
      .map((s) => s.trim());
    const q = params.find((p) => p.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    quality.set(type, Number.isFinite(value) ? value : 0);
  }
  return (quality.get('text/csv') ?? 0) > (quality.get('application/json') ?? 0);
}

/** One RFC 4180 field: quoted (quotes doubled) when it holds a comma, a quote or a line break; null is empty. */
function field(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** RFC 4180 CSV: the header row, then one line per row in `columns` order, every line ending CRLF. */
export function toCsv<C extends string>(
  columns: readonly C[],
  rows: readonly Record<C, string | number | null>[],
): string {
  const lines = [columns.map(field), ...rows.map((row) => columns.map((c) => field(row[c])))];
  return lines.map((cells) => `${cells.join(',')}\r\n`).join('');
}
