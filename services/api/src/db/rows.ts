/** Postgres hands back Date objects from columns and strings from jsonb: both become RFC 3339. */
export function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

export function isoOrUndefined(value: Date | string | null | undefined): string | undefined {
  return value == null ? undefined : iso(value);
}

/** numeric columns arrive as strings (exact decimals); the API speaks JSON numbers. */
export function numberOrNull(value: string | number | null): number | null {
  return value == null ? null : Number(value);
}
