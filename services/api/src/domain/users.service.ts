import type {
  CreatedToken,
  CreateTokenBody,
  CreateUserBody,
  PageOf,
  PageQuery,
  TokenInfo,
  UpdateUserBody,
  User,
} from '@chatq/contracts';
import type { UsersRepository } from '../db/users.repository.ts';
import type { Auditor } from './audit.ts';
import type { Actor } from './caller.ts';
import { BadRequestError, ConflictError, NotFoundError } from './errors.ts';
import { pageRequest, toPage, uuidCursor } from './pagination.ts';
import { hashToken, mintToken, tokenPrefix } from './tokens.ts';

const userNotFound = () => new NotFoundError('User not found.');

/**
 * Users and their tokens. Every change that can make a cached lookup wrong (a revoked token, a
 * disabled user, new limits) is announced to all API replicas once it commits. Every change, and
 * every token minted or revoked (members' own too), is audited in its transaction.
 */
export class UsersService {
  private readonly audit: Auditor;
  private readonly users: UsersRepository;
  /** Tells every replica's auth cache that the user's tokens changed, after the commit. */
  private readonly invalidate: (userId: string) => Promise<void>;
  private readonly maxTokensPerUser: number;

  constructor(deps: {
    audit: Auditor;
    users: UsersRepository;
    invalidate: (userId: string) => Promise<void>;
    maxTokensPerUser: number;
  }) {
    this.audit = deps.audit;
    this.users = deps.users;
    this.invalidate = deps.invalidate;
    this.maxTokensPerUser = deps.maxTokensPerUser;
  }

  create(actor: Actor, body: CreateUserBody): Promise<User> {
    return this.audit.change(
      actor,
      'user.create',
      (u) => u.id,
      async () =>
        (await this.users.insert(body.username, body.role)) ??
        Promise.reject(new ConflictError('Username is already taken.')),
    );
  }

  async list(query: PageQuery): Promise<PageOf<User>> {
    const page = pageRequest(query, uuidCursor);
    return toPage(await this.users.list(page), page, (u) => u.id, uuidCursor);
  }

  /** An admin disabling themselves would lock the API's administration out: refused. */
  async update(actor: Actor, id: string, body: UpdateUserBody): Promise<User> {
    if (body.disabled === true && id === actor.user.id) throw new BadRequestError('You cannot disable yourself.');
    return this.audit.change(actor, 'user.update', id, async () => {
      const user = await this.users.update(id, body);
      if (!user) throw userNotFound();
      await this.invalidate(id);
      return user;
    });
  }

  /**
   * Mints a token. A member holds at most `maxTokensPerUser` live ones: counted under a lock of the
   * user's row, so concurrent mints cannot all pass the count.
   */
  createToken(actor: Actor, userId: string, body: CreateTokenBody): Promise<CreatedToken> {
    this.#mayReach(actor.user, userId);
    return this.audit.change(
      actor,
      'token.create',
      (t) => t.token_info.id,
      async () => {
        const target = await this.users.lockForMinting(userId);
        if (!target) throw userNotFound();
        if (target.role !== 'admin' && (await this.users.countLiveTokens(userId)) >= this.maxTokensPerUser) {
          throw new ConflictError(
            'Token limit reached.',
            'Revoke a token (DELETE /api/v1/users/{id}/tokens/{token_id}) to mint another.',
          );
        }
        const token = mintToken();
        const info = await this.users.insertToken(userId, {
          hash: hashToken(token),
          name: body.name ?? null,
          prefix: tokenPrefix(token),
          expiresInDays: body.expires_in_days ?? null,
        });
        return { token, token_info: info };
      },
    );
  }

  async listTokens(actor: User, userId: string, query: PageQuery): Promise<PageOf<TokenInfo>> {
    this.#mayReach(actor, userId);
    const page = pageRequest(query, uuidCursor);
    if (!(await this.users.findById(userId))) throw userNotFound();
    return toPage(await this.users.listTokens(userId, page), page, (t) => t.id, uuidCursor);
  }

  /** The token answers 401 from the commit on, on every replica (see `invalidate`). */
  async revokeToken(actor: Actor, userId: string, tokenId: string): Promise<void> {
    this.#mayReach(actor.user, userId);
    await this.audit.change(actor, 'token.revoke', tokenId, async () => {
      if (!(await this.users.revokeToken(userId, tokenId))) {
        throw (await this.users.findById(userId)) ? new NotFoundError('Token not found.') : userNotFound();
      }
      await this.invalidate(userId);
    });
  }

  /** Members reach only their own tokens; another user's are not found, so ids cannot be probed. */
  #mayReach(actor: User, userId: string): void {
    if (actor.role !== 'admin' && actor.id !== userId) throw userNotFound();
  }
}
