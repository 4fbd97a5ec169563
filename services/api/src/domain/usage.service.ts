import type { UsageQuery, UsageTotals, User } from '@chatq/contracts';
import type { UsageRepository } from '../db/usage.repository.ts';
import { ChatNotFoundError, ForbiddenError, NotFoundError } from './errors.ts';

/** Who may see which usage: a chat's owner its chat, a user their own, admins anyone's. */
export class UsageService {
  private readonly usage: UsageRepository;

  constructor(usage: UsageRepository) {
    this.usage = usage;
  }

  async forChat(actor: User, chatId: string): Promise<UsageTotals> {
    return (await this.usage.forChat(actor.id, chatId)) ?? Promise.reject(new ChatNotFoundError());
  }

  async forUser(actor: User, userId: string, range: UsageQuery): Promise<UsageTotals> {
    if (actor.role !== 'admin' && actor.id !== userId) throw new ForbiddenError();
    const totals = await this.usage.forUser(userId, range.from ?? null, range.to ?? null);
    return totals ?? Promise.reject(new NotFoundError('User not found.'));
  }
}
