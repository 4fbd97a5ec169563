import type { User } from '@chatq/contracts';

/** Who is calling, and with which token. */
export interface Caller {
  user: User;
  tokenId: string;
  /** When the token stops working (epoch ms), or null if it never expires. */
  tokenExpiresAt: number | null;
}

/** Who asks for a change, and through which request: what an audit event records besides the change. */
export interface Actor {
  user: User;
  /** The request id (`X-Request-Id`): on every log line about the request too. */
  requestId: string;
  /** The peer's address, or the client's per X-Forwarded-For when TRUST_PROXY is set. */
  ip: string;
}
