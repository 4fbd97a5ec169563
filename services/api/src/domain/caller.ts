import type { User } from '@chatq/contracts';

/** Who is calling, and with which token (rate limits count per token). */
export interface Caller {
  user: User;
  tokenId: string;
}
