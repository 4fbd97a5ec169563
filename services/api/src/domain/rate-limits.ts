/** A quota: at most `quota` hits per `windowSeconds`, counted in fixed windows. */
export interface RatePolicy {
  /** The IETF policy name: `requests` and `turns` (per user) or `anonymous` (per IP). */
  name: 'requests' | 'turns' | 'anonymous';
  quota: number;
  windowSeconds: number;
}

/** One policy's counter after this request's hit. */
export interface RateCount {
  policy: RatePolicy;
  used: number;
  /** Until the window resets. */
  resetMs: number;
}

/** `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers): every policy this request is under. */
export function policyHeader(policies: readonly RatePolicy[]): string {
  return policies.map((p) => `"${p.name}";q=${p.quota};w=${p.windowSeconds}`).join(', ');
}

/** `RateLimit`: what remains of each policy, and seconds until it resets. */
export function rateLimitHeader(counts: readonly RateCount[]): string {
  return counts
    .map((c) => `"${c.policy.name}";r=${Math.max(0, c.policy.quota - c.used)};t=${resetSeconds(c)}`)
    .join(', ');
}

/** Whether the request may proceed; if not, how long until every exhausted policy has reset. */
export function rateVerdict(counts: readonly RateCount[]): { allowed: true } | { allowed: false; retryAfter: number } {
  const exceeded = counts.filter((c) => c.used > c.policy.quota);
  if (exceeded.length === 0) return { allowed: true };
  return { allowed: false, retryAfter: Math.max(...exceeded.map(resetSeconds)) };
}

/** Whole seconds, rounded up so a client that waits `t` finds the window reset. */
function resetSeconds(c: RateCount): number {
  return Math.max(1, Math.ceil(c.resetMs / 1000));
}
