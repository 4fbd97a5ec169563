import type { ProviderCheckJob, ProviderTestBody, ProviderTestResult } from '@chatq/contracts';
import type { ProvidersRepository } from '../db/providers.repository.ts';
import type { WorkerRequests } from '../queue/worker-requests.ts';
import { NotFoundError } from './errors.ts';

/** Provider checks: the API knows the provider exists; only a worker may call it with its key. */
export class ProviderChecksService {
  private readonly providers: ProvidersRepository;
  private readonly checks: WorkerRequests<ProviderCheckJob, ProviderTestResult>;

  constructor(providers: ProvidersRepository, checks: WorkerRequests<ProviderCheckJob, ProviderTestResult>) {
    this.providers = providers;
    this.checks = checks;
  }

  async test(providerId: string, body: ProviderTestBody): Promise<ProviderTestResult> {
    if (!(await this.providers.findById(providerId))) throw new NotFoundError('Provider not found.');
    return this.checks.request({ provider_id: providerId, model: body.model });
  }
}
