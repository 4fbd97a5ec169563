import type { CreateProviderBody, PageOf, PageQuery, Provider, UpdateProviderBody } from '@chatq/contracts';
import type { SecretBox } from '@chatq/platform';
import type { ProviderPatch, ProvidersRepository } from '../db/providers.repository.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { pageRequest, toPage, uuidCursor } from './pagination.ts';

const notFound = () => new NotFoundError('Provider not found.');

/** Provider credentials are sealed here, on the way in, and never opened by the API. */
export class ProvidersService {
  private readonly providers: ProvidersRepository;
  private readonly secrets: SecretBox;

  constructor(providers: ProvidersRepository, secrets: SecretBox) {
    this.providers = providers;
    this.secrets = secrets;
  }

  async list(query: PageQuery): Promise<PageOf<Provider>> {
    const page = pageRequest(query, uuidCursor);
    return toPage(await this.providers.list(page), page, (p) => p.id, uuidCursor);
  }

  async get(id: string): Promise<Provider> {
    return (await this.providers.findById(id)) ?? Promise.reject(notFound());
  }

  async create(body: CreateProviderBody): Promise<Provider> {
    const created = await this.providers.insert({
      name: body.name,
      kind: body.kind,
      base_url: body.base_url ?? null,
      api_key: body.api_key === undefined ? null : this.secrets.seal(body.api_key),
      options: body.options ?? {},
    });
    if (!created) throw new ConflictError('A provider with this name already exists.');
    return created;
  }

  async update(id: string, body: UpdateProviderBody): Promise<Provider> {
    const patch: ProviderPatch = {
      name: body.name,
      base_url: body.base_url,
      options: body.options,
      api_key: body.api_key == null ? body.api_key : this.secrets.seal(body.api_key),
    };
    try {
      return (await this.providers.update(id, patch)) ?? Promise.reject(notFound());
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ConflictError('A provider with this name already exists.');
      }
      throw err;
    }
  }

  async delete(id: string): Promise<void> {
    if (!(await this.providers.softDelete(id))) throw notFound();
  }
}
