import { IdParams, NoContent, PageQuery } from '../common.ts';
import {
  CreatedToken,
  CreateTokenBody,
  CreateUserBody,
  TokenList,
  TokenParams,
  UpdateUserBody,
  UserList,
  UserResponse,
} from '../users.ts';
import { defineRoutes } from './define.ts';
import { ERRORS } from './errors.ts';

/**
 * Users and their tokens. A member reaches only their own tokens: another user's are a 404 (never a
 * 403), so user ids cannot be probed.
 */
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
  listUsers: {
    method: 'GET',
    path: '/api/v1/users',
    tag: 'users',
    auth: 'admin',
    summary: 'List users',
    description: 'Oldest first, cursor-paginated, disabled users included.',
    query: PageQuery,
    responses: { 200: { description: 'A page of users.', schema: UserList } },
    errors: { 400: [ERRORS.invalidCursor] },
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
    summary: 'Set a user’s rate and spend limits, or disable them',
    description:
      'Overrides the server’s per-minute limits for one user (`null` restores the server default), sets their ' +
      'spend limit (microdollars per calendar UTC day or month; `null` restores SPEND_LIMIT_MICROS), or disables ' +
      'the user: every token of theirs then answers 401, on every API replica within a second, until ' +
      '`disabled: false`. Admins cannot disable themselves.',
    params: IdParams,
    body: UpdateUserBody,
    responses: { 200: { description: 'The updated user.', schema: UserResponse } },
    errors: { 400: [ERRORS.cannotDisableSelf], 404: [ERRORS.userNotFound] },
  },
  createToken: {
    method: 'POST',
    path: '/api/v1/users/{id}/tokens',
    tag: 'users',
    auth: 'member',
    summary: 'Mint an API token',
    description:
      'A new bearer token for the user, optionally named and expiring. The token is shown once, in this ' +
      'response, and never again; `token_info` is what the token list shows of it. Members mint tokens for ' +
      'themselves, and hold at most MAX_TOKENS_PER_USER live ones (default 10); admins mint for anyone.',
    params: IdParams,
    body: CreateTokenBody.nullish(),
    responses: { 201: { description: 'The new token.', schema: CreatedToken } },
    errors: { 404: [ERRORS.userNotFound], 409: [ERRORS.tokenLimitReached] },
  },
  listTokens: {
    method: 'GET',
    path: '/api/v1/users/{id}/tokens',
    tag: 'users',
    auth: 'member',
    summary: 'List API tokens',
    description:
      'The user’s tokens that are not revoked (expired ones included), newest first, cursor-paginated: names, ' +
      'prefixes and dates, never the secret. Members list their own; admins anyone’s.',
    params: IdParams,
    query: PageQuery,
    responses: { 200: { description: 'A page of tokens.', schema: TokenList } },
    errors: { 400: [ERRORS.invalidCursor], 404: [ERRORS.userNotFound] },
  },
  revokeToken: {
    method: 'DELETE',
    path: '/api/v1/users/{id}/tokens/{token_id}',
    tag: 'users',
    auth: 'member',
    summary: 'Revoke an API token',
    description:
      'The token answers 401 from now on, on every API replica within a second. Members revoke their own; ' +
      'admins anyone’s.',
    params: TokenParams,
    responses: { 204: { description: 'Revoked.', schema: NoContent } },
    errors: { 404: [ERRORS.userNotFound, ERRORS.tokenNotFound] },
  },
});
