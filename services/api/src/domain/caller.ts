import type { User } from '@chatq/contracts';

/** Who is calling, and with which token. */
export interface Caller {
  user: User;
  tokenId: string;
  /** When the token stops working (epoch ms), or null if it never expires. */
  tokenExpiresAt: number | null;
}
