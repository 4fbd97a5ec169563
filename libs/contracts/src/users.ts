import { z } from 'zod';
import { Timestamp, Uuid } from './common.ts';

export const Role = z.enum(['admin', 'member']);
export type Role = z.infer<typeof Role>;

export const User = z.object({
  id: Uuid,
  username: z.string(),
  role: Role,
  created_at: Timestamp,
});
export type User = z.infer<typeof User>;

export const CreateUserBody = z.object({
  username: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_.@-]+$/, { message: 'may contain only letters, digits and _ . @ -' }),
  role: Role.default('member'),
});
export type CreateUserBody = z.infer<typeof CreateUserBody>;

/** A newly minted API token. It is returned once, at creation, and never again. */
export const CreatedToken = z.object({ token: z.string() });
export type CreatedToken = z.infer<typeof CreatedToken>;

export const UserResponse = z.object({ user: User });
