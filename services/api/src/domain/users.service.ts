import type { CreateUserBody, UpdateUserBody, User } from '@chatq/contracts';
import type { UsersRepository } from '../db/users.repository.ts';
import { ConflictError, ForbiddenError, NotFoundError } from './errors.ts';
import { hashToken, mintToken } from './tokens.ts';

export class UsersService {
  private readonly users: UsersRepository;

  constructor(users: UsersRepository) {
    this.users = users;
  }

  async create(body: CreateUserBody): Promise<User> {
    const user = await this.users.insert(body.username, body.role);
    if (!user) throw new ConflictError('Username is already taken.');
    return user;
  }

  async update(id: string, body: UpdateUserBody): Promise<User> {
    return (
      (await this.users.updateRateLimits(id, body.rate_limits)) ?? Promise.reject(new NotFoundError('User not found.'))
    );
  }

  /** Admins mint tokens for anyone; members only for themselves. */
  async createToken(actor: User, userId: string): Promise<string> {
    if (actor.role !== 'admin' && actor.id !== userId) throw new ForbiddenError();
    const target = await this.users.findById(userId);
    if (!target) throw new NotFoundError('User not found.');
    const token = mintToken();
    await this.users.insertToken(target.id, hashToken(token));
    return token;
  }
}
