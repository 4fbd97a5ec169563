import { IdParams } from '../common.ts';
import { CreatedToken, CreateUserBody, UpdateUserBody, UserResponse } from '../users.ts';
import { defineRoutes } from './define.ts';
import { ERRORS } from './errors.ts';

export const userRoutes = defineRoutes({
  createUser: {
    method: 'POST',
    path: '/api/v1/users',
    tag: 'users',
    auth: 'admin',
    summary: 'Create a user',
    description: 'Creates a member (or another admin). Mint their first token with `POST /users/{id}/tokens`.',
    body: CreateUserBody,
    responses: { 201: { description: 'The new user.', schema: UserResponse } },
    errors: { 409: [ERRORS.usernameTaken] },
  },
  getMe: {
    method: 'GET',
    path: '/api/v1/users/me',
    tag: 'users',
    auth: 'member',
    summary: 'Who am I',
    description: 'The user the bearer token belongs to, with their rate limits.',
    responses: { 200: { description: 'The caller.', schema: UserResponse } },
  },
  updateUser: {
    method: 'PATCH',
    path: '/api/v1/users/{id}',
    tag: 'users',
    auth: 'admin',
    summary: 'Set a user’s rate limits',
    description:
      'Overrides the server’s per-minute limits for one user; `null` restores the server default. ' +
      'Tokens pick the change up within 5 s.',
    params: IdParams,
    body: UpdateUserBody,
    responses: { 200: { description: 'The updated user.', schema: UserResponse } },
    errors: { 404: [ERRORS.userNotFound] },
  },
  createToken: {
    method: 'POST',
    path: '/api/v1/users/{id}/tokens',
    tag: 'users',
    auth: 'member',
    summary: 'Mint an API token',
    description:
      'A new bearer token for the user. It is shown once, in this response, and never again. ' +
      'Members mint tokens for themselves; admins for anyone.',
    params: IdParams,
    responses: { 201: { description: 'The new token.', schema: CreatedToken } },
    errors: { 403: [ERRORS.forbidden], 404: [ERRORS.userNotFound] },
  },
});
