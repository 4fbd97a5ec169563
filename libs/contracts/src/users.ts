import { z } from 'zod';
import { RequestBody, Timestamp, Uuid } from './common.ts';
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

export const User = z
  .object({
    id: Uuid,
    username: z.string(),
    role: Role,
    rate_limits: UserRateLimits,
    created_at: Timestamp,
  })
  .meta({
    examples: [
      {
        id: EXAMPLE.userId,
        username: 'ana',
        role: 'member',
        rate_limits: { requests_per_minute: null, turns_per_minute: 30 },
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

/** A newly minted API token. It is returned once, at creation, and never again. */
export const CreatedToken = z.object({ token: z.string() }).meta({ examples: [{ token: EXAMPLE.token }] });
export type CreatedToken = z.infer<typeof CreatedToken>;

/** Admin-only. Absent fields are unchanged; `null` restores the server default. */
export const UpdateUserBody = RequestBody({ rate_limits: RequestBody(UserRateLimits.shape).partial() }).meta({
  examples: [{ rate_limits: { requests_per_minute: 1200, turns_per_minute: null } }],
});
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

export const UserResponse = z.object({ user: User });
