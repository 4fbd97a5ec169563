import type {
  CreateModelConfigBody,
  ModelConfig,
  PageOf,
  PageQuery,
  UpdateModelConfigBody,
  User,
} from '@chatq/contracts';
import type { ModelConfigFields, ModelConfigsRepository } from '../db/model-configs.repository.ts';
import type { Auditor } from './audit.ts';
import type { Actor } from './caller.ts';
import { BadRequestError, NotFoundError } from './errors.ts';
import { pageRequest, toPage, uuidCursor } from './pagination.ts';

const notFound = () => new NotFoundError('Model config not found.');

/**
 * A config as a member may see it: without `options.headers`, where admins put gateway keys and
 * other credentials that every call of the model sends.
 */
function asSeenBy(actor: User, config: ModelConfig): ModelConfig {
  if (actor.role === 'admin' || !('headers' in config.options)) return config;
  const { headers: _, ...options } = config.options;
  return { ...config, options };
}

/** Model configs; every change is audited in its transaction. */
export class ModelConfigsService {
  private readonly modelConfigs: ModelConfigsRepository;
  private readonly audit: Auditor;

  constructor(modelConfigs: ModelConfigsRepository, audit: Auditor) {
    this.modelConfigs = modelConfigs;
    this.audit = audit;
  }

  /** Members see what they may pick: enabled configs only, and no call headers. */
  async list(actor: User, query: PageQuery): Promise<PageOf<ModelConfig>> {
    const page = pageRequest(query, uuidCursor);
    const rows = await this.modelConfigs.list(actor.role !== 'admin', page);
    const shown = toPage(rows, page, (m) => m.id, uuidCursor);
    return { ...shown, data: shown.data.map((m) => asSeenBy(actor, m)) };
  }

  async get(actor: User, id: string): Promise<ModelConfig> {
    const found = await this.modelConfigs.findById(id);
    if (!found || (actor.role !== 'admin' && !found.enabled)) throw notFound();
    return asSeenBy(actor, found);
  }

  /** Setting a default clears the previous one in the same transaction. */
  create(actor: Actor, body: CreateModelConfigBody): Promise<ModelConfig> {
    return this.audit.change(
      actor,
      'model_config.create',
      (m) => m.id,
      async () => {
        if (!(await this.modelConfigs.providerExists(body.provider_id))) {
          throw new BadRequestError('Provider not found.', undefined, [
            { field: 'body.provider_id', detail: 'no provider has this id' },
          ]);
        }
        if (body.is_default) await this.modelConfigs.clearDefault(null);
        const fields: ModelConfigFields = {
          provider_id: body.provider_id,
          model: body.model,
          display_name: body.display_name ?? null,
          enabled: body.enabled,
          is_default: body.is_default,
          context_limit: body.context_limit ?? null,
          max_output_tokens: body.max_output_tokens ?? null,
          input_price_per_mtok: body.input_price_per_mtok ?? null,
          output_price_per_mtok: body.output_price_per_mtok ?? null,
          options: body.options ?? {},
          system_prompt: body.system_prompt ?? null,
          max_steps: body.max_steps,
        };
        return this.modelConfigs.insert(fields);
      },
    );
  }

  update(actor: Actor, id: string, body: UpdateModelConfigBody): Promise<ModelConfig> {
    return this.audit.change(actor, 'model_config.update', id, async () => {
      if (body.is_default) await this.modelConfigs.clearDefault(id);
      const patch = Object.fromEntries(
        Object.entries(body).filter(([, v]) => v !== undefined),
      ) as Partial<ModelConfigFields>;
      return (await this.modelConfigs.update(id, patch)) ?? Promise.reject(notFound());
    });
  }

  async delete(actor: Actor, id: string): Promise<void> {
    await this.audit.change(actor, 'model_config.delete', id, async () => {
      if (!(await this.modelConfigs.softDelete(id))) throw notFound();
    });
  }
}
