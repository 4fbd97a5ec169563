import { z } from 'zod';
import { Page, RequestBody, Timestamp, Uuid } from './common.ts';
import { EXAMPLE } from './examples.ts';

export const Role = z.enum(['admin', 'member']);
export type Role = z.infer<typeof Role>;

const PerMinute = z.number().int().min(1).max(1_000_000);

/** Admin overrides of the server's rate limits; null means the server default applies. */
export const UserRateLimits = z.object({
  requests_per_minute: PerMinute.nullable(),
  turns_per_minute: PerMinute.nullable(),
});
export type UserRateLimits = z.infer<typeof UserRateLimits>;

/** A calendar UTC period a spend limit counts over. */
export const SpendPeriod = z.enum(['day', 'month']);
export type SpendPeriod = z.infer<typeof SpendPeriod>;

/**
 * A budget of microdollars (millionths of a US dollar) per calendar UTC day or month: turns on
 * priced models are refused (402) once what was spent plus what running turns have reserved would
 * pass it.
 */
export const SpendLimit = z
  .object({
    amount_micros: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    period: SpendPeriod,
  })
  .meta({ examples: [{ amount_micros: 50_000_000, period: 'month' }] });
export type SpendLimit = z.infer<typeof SpendLimit>;

export const User = z
  .object({
    id: Uuid,
    username: z.string(),
    role: Role,
    rate_limits: UserRateLimits,
    /** The user's own spend limit; null: the server default (SPEND_LIMIT_MICROS), if any, applies. */
    spend_limit: SpendLimit.nullable(),
    /** A disabled user's tokens answer 401 on every route until an admin enables them again. */
    disabled: z.boolean(),
    created_at: Timestamp,
  })
  .meta({
    examples: [
      {
        id: EXAMPLE.userId,
        username: 'ana',
        role: 'member',
        rate_limits: { requests_per_minute: null, turns_per_minute: 30 },
        spend_limit: null,
        disabled: false,
        created_at: EXAMPLE.createdAt,
      },
    ],
  });
export type User = z.infer<typeof User>;

export const CreateUserBody = RequestBody({
  username: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_.@-]+$/, { message: 'may contain only letters, digits and _ . @ -' }),
  role: Role.default('member'),
}).meta({ examples: [{ username: 'ana', role: 'member' }] });
export type CreateUserBody = z.infer<typeof CreateUserBody>;

/** Most tokens a member may hold at once, unless the server sets MAX_TOKENS_PER_USER. */
export const DEFAULT_MAX_TOKENS_PER_USER = 10;

const TOKEN_INFO_EXAMPLE = {
  id: EXAMPLE.tokenId,
  name: 'laptop',
  prefix: EXAMPLE.token.slice(0, 10),
  created_at: EXAMPLE.createdAt,
  last_used_at: null,
  expires_at: '2025-09-13T09:30:00.000Z',
};

/** An API token as it may be shown: its name and first characters, never the secret. */
export const TokenInfo = z
  .object({
    id: Uuid,
    name: z.string().nullable(),
    /** The first characters of the token (null for tokens minted before chatq recorded them). */
    prefix: z.string().nullable(),
    created_at: Timestamp,
    /** Updated at most once a minute: a token used just now may show a time up to a minute old. */
    last_used_at: Timestamp.nullable(),
    /** Null: the token never expires. */
    expires_at: Timestamp.nullable(),
  })
  .meta({ examples: [TOKEN_INFO_EXAMPLE] });
export type TokenInfo = z.infer<typeof TokenInfo>;

export const CreateTokenBody = RequestBody({
  name: z.string().min(1).max(100).optional(),
  /** Unset: the token lasts until it is revoked. */
  expires_in_days: z.number().int().min(1).max(3650).optional(),
}).meta({ examples: [{ name: 'laptop', expires_in_days: 90 }] });
export type CreateTokenBody = z.infer<typeof CreateTokenBody>;

/** A newly minted API token. `token` is returned once, at creation, and never again. */
export const CreatedToken = z.object({ token: z.string(), token_info: TokenInfo }).meta({
  examples: [
    {
      token: EXAMPLE.token,
      token_info: TOKEN_INFO_EXAMPLE,
    },
  ],
});
export type CreatedToken = z.infer<typeof CreatedToken>;

export const TokenList = Page(TokenInfo);

export const TokenParams = z.object({ id: Uuid, token_id: Uuid });

/**
 * Admin-only. Absent fields are unchanged; a `null` rate limit restores the server default, and so
 * does a `null` spend limit. `disabled: true` locks the user out at once (every replica, within a
 * second); `false` lets them in.
 */
export const UpdateUserBody = RequestBody({
  rate_limits: RequestBody(UserRateLimits.shape).partial().optional(),
  spend_limit: RequestBody(SpendLimit.shape).nullable().optional(),
  disabled: z.boolean().optional(),
}).meta({
  examples: [
    { rate_limits: { requests_per_minute: 1200, turns_per_minute: null } },
    { spend_limit: { amount_micros: 5_000_000, period: 'day' } },
    { disabled: true },
  ],
});
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

export const UserResponse = z.object({ user: User });
export const UserList = Page(User);
