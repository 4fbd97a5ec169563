export { iso, isoOrUndefined } from '@chatq/chat-core';

/** numeric columns arrive as strings (exact decimals); the API speaks JSON numbers. */
export function numberOrNull(value: string | number | null): number | null {
  return value == null ? null : Number(value);
}
