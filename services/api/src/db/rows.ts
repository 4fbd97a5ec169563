export { iso, isoOrUndefined } from '@chatq/chat-core';

/** The keys of a patch that are set: `sql(object)` refuses undefined values. */
export function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** numeric columns arrive as strings (exact decimals); the API speaks JSON numbers. */
export function numberOrNull(value: string | number | null): number | null {
  return value == null ? null : Number(value);
}
