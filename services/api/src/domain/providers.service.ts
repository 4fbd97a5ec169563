import type {
  CreateProviderBody,
  PageOf,
  PageQuery,
  Provider,
  SecretHeaders,
  UpdateProviderBody,
} from '@chatq/contracts';
import type { SecretBox } from '@chatq/platform';
import type { ProviderInsert, ProviderPatch, ProvidersRepository } from '../db/providers.repository.ts';
import type { Auditor } from './audit.ts';
import type { Actor } from './caller.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { pageRequest, toPage, uuidCursor } from './pagination.ts';

const notFound = () => new NotFoundError('Provider not found.');

/**
 * Secret headers as stored: one sealed JSON object, names lower-cased (HTTP header names are
 * case-insensitive, and the worker must not send one twice), and the sorted names in the clear.
 */
function sealHeaders(headers: SecretHeaders, secrets: SecretBox): ProviderInsert['secret_headers'] {
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  if (Object.keys(lower).length === 0) return null;
  return { sealed: secrets.seal(JSON.stringify(lower)), names: Object.keys(lower).sort() };
}

/**
 * Provider credentials (key, secret headers) are sealed here, on the way in, and never opened by the
 * API. Every change is audited in its transaction.
 */
export class ProvidersService {
  private readonly providers: ProvidersRepository;
  private readonly secrets: SecretBox;
  private readonly audit: Auditor;

  constructor(providers: ProvidersRepository, secrets: SecretBox, audit: Auditor) {
    this.providers = providers;
    this.secrets = secrets;
    this.audit = audit;
  }

  async list(query: PageQuery): Promise<PageOf<Provider>> {
    const page = pageRequest(query, uuidCursor);
    return toPage(await this.providers.list(page), page, (p) => p.id, uuidCursor);
  }

  async get(id: string): Promise<Provider> {
    return (await this.providers.findById(id)) ?? Promise.reject(notFound());
  }

  async create(actor: Actor, body: CreateProviderBody): Promise<Provider> {
    const insert = async () => {
      const created = await this.providers.insert({
        name: body.name,
        kind: body.kind,
        base_url: body.base_url ?? null,
        api_key: body.api_key === undefined ? null : this.secrets.seal(body.api_key),
        secret_headers: body.secret_headers === undefined ? null : sealHeaders(body.secret_headers, this.secrets),
        options: body.options ?? {},
      });
      return created ?? Promise.reject(new ConflictError('A provider with this name already exists.'));
    };
    return this.audit.change(actor, 'provider.create', (p) => p.id, insert);
  }

  async update(actor: Actor, id: string, body: UpdateProviderBody): Promise<Provider> {
    const patch: ProviderPatch = {
      name: body.name,
      base_url: body.base_url,
      options: body.options,
      api_key: body.api_key == null ? body.api_key : this.secrets.seal(body.api_key),
      secret_headers:
        body.secret_headers == null ? body.secret_headers : sealHeaders(body.secret_headers, this.secrets),
    };
    try {
      return await this.audit.change(
        actor,
        'provider.update',
        id,
        async () => (await this.providers.update(id, patch)) ?? Promise.reject(notFound()),
      );
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ConflictError('A provider with this name already exists.');
      }
      throw err;
    }
  }

  /** Its model configs are soft-deleted with it (one event: the provider's). */
  async delete(actor: Actor, id: string): Promise<void> {
    await this.audit.change(actor, 'provider.delete', id, async () => {
      if (!(await this.providers.softDelete(id))) throw notFound();
    });
  }
}
