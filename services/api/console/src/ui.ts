import { ChatqApiError } from '@chatq/client';
import type { ComponentChildren } from 'preact';
/** JSX-like templates without a compiler: `html\`<p>${text}</p>\``, bound to Preact. */
export { html } from 'htm/preact';
import { html } from 'htm/preact';

/** What to show for a failed call: the API's own message (and detail) as it wrote them. */
export function errorText(err: unknown): string {
  if (err instanceof ChatqApiError) {
    const fields = err.body.validations?.map((v) => `${v.field}: ${v.detail}`).join('; ');
    return [err.body.message, err.body.detail, fields].filter(Boolean).join(' ');
  }
  return err instanceof Error ? err.message : String(err);
}

/** An alert line for the last error of a form or page, announced to screen readers. */
export function ErrorLine({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return html`<p class="error" role="alert">${errorText(error)}</p>`;
}

/**
 * A select inside its label. The select is also named outright (aria-label): the text of a label
 * that wraps a select takes in the select's options, so by that text alone its name would change
 * as its options load.
 */
export function SelectField(props: { label: string; children: ComponentChildren } & Record<string, unknown>) {
  const { label, children, ...attrs } = props;
  return html`<label
    >${label}
    <select aria-label=${label} ...${attrs}>
      ${children}
    </select>
  </label>`;
}

/** Integer microdollars as dollars. */
export function dollars(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return '—';
  return `$${(micros / 1_000_000).toFixed(micros < 10_000 ? 4 : 2)}`;
}

export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** A JSON value shown compactly (tool inputs and outputs). */
export function json(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? '' : text.length > 400 ? `${text.slice(0, 400)}…` : text;
}
