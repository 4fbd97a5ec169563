import type { Usage } from '@chatq/contracts';

/**
 * Integer microdollars for a reply: prices are dollars per million tokens, so tokens x price is
 * microdollars. Null when the model has no price at all (unpriced is not free).
 */
export function costMicros(
  usage: Usage,
  prices: { input_price_per_mtok: number | null; output_price_per_mtok: number | null },
): number | null {
  if (prices.input_price_per_mtok == null && prices.output_price_per_mtok == null) return null;
  return Math.round(
    usage.input_tokens * (prices.input_price_per_mtok ?? 0) + usage.output_tokens * (prices.output_price_per_mtok ?? 0),
  );
}
