import {
  MAX_USAGE_GROUPS,
  type SpendLimitsResponse,
  type UsageQuery,
  type UsageReport,
  type UsageReportQuery,
  type UsageTotals,
  type User,
} from '@chatq/contracts';
import type { SpendDefault } from '@chatq/platform';
import type { UsageRepository } from '../db/usage.repository.ts';
import { BadRequestError, ChatNotFoundError, ForbiddenError, NotFoundError } from './errors.ts';

/** Who may see which usage: a chat's owner its chat, a user their own, admins anyone's. */
export class UsageService {
  private readonly usage: UsageRepository;
  private readonly spend: SpendDefault;

  /** `spend`: the server's default spend limit, for users without their own. */
  constructor(usage: UsageRepository, spend: SpendDefault) {
    this.usage = usage;
    this.spend = spend;
  }

  async forChat(actor: User, chatId: string): Promise<UsageTotals> {
    return (await this.usage.forChat(actor.id, chatId)) ?? Promise.reject(new ChatNotFoundError());
  }

  async forUser(actor: User, userId: string, range: UsageQuery): Promise<UsageTotals> {
    if (actor.role !== 'admin' && actor.id !== userId) throw new ForbiddenError();
    const totals = await this.usage.forUser(userId, range.from ?? null, range.to ?? null);
    return totals ?? Promise.reject(new NotFoundError('User not found.'));
  }

  /**
   * Everyone's usage grouped (an admin report: the route is admin-only). Capped at MAX_USAGE_GROUPS
   * groups rather than paginated, so the CSV form is one download and `total` sums exactly the rows
   * returned; a range with more groups is refused, to be narrowed.
   */
  async report(query: UsageReportQuery): Promise<UsageReport> {
    const rows = await this.usage.report(query.group_by, query.from ?? null, query.to ?? null, MAX_USAGE_GROUPS);
    if (!rows) {
      throw new BadRequestError('Usage report too large.', `More than ${MAX_USAGE_GROUPS} groups; narrow from and to.`);
    }
    return { data: rows.groups, total: rows.total };
  }

  /** The user's spend limit and where they stand; members may read only their own (403, as usage). */
  async limits(actor: User, userId: string): Promise<SpendLimitsResponse> {
    if (actor.role !== 'admin' && actor.id !== userId) throw new ForbiddenError();
    const limits = await this.usage.spendLimits(userId, this.spend);
    return limits ?? Promise.reject(new NotFoundError('User not found.'));
  }
}
