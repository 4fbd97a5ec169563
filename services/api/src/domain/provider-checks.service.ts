import type { ProviderTestBody, ProviderTestResult } from '@chatq/contracts';
import type { ProvidersRepository } from '../db/providers.repository.ts';
import type { ProviderChecker } from '../queue/provider-checker.ts';
import { NotFoundError } from './errors.ts';

/** Provider checks: the API knows the provider exists; only a worker may call it with its key. */
export class ProviderChecksService {
  private readonly providers: ProvidersRepository;
  private readonly checker: ProviderChecker;

  constructor(providers: ProvidersRepository, checker: ProviderChecker) {
    this.providers = providers;
    this.checker = checker;
  }

  async test(providerId: string, body: ProviderTestBody): Promise<ProviderTestResult> {
    if (!(await this.providers.findById(providerId))) throw new NotFoundError('Provider not found.');
    return this.checker.check(providerId, body.model);
  }
}
