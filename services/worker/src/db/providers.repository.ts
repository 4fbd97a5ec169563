import type { Sql } from '@chatq/platform';
import type { ProviderRow } from '../llm/provider-target.ts';

/** A provider as a check needs it, with the model to call. */
export interface CheckTarget extends ProviderRow {
  /** The requested model, else the provider's oldest enabled model config's; null when neither. */
  model: string | null;
  /** Options of the model config for `model`, when there is one. */
  model_options: Record<string, unknown>;
}

/** The worker's read of providers, for checks; turns get theirs from the claim. */
export class ProvidersRepository {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  async findCheckTarget(providerId: string, model: string | null): Promise<CheckTarget | undefined> {
    const [row] = await this.sql<CheckTarget[]>`
      select p.kind, p.base_url, p.options, encode(p.api_key, 'base64') as api_key,
             encode(p.secret_headers, 'base64') as secret_headers,
             coalesce(${model}::text, mc.model) as model, coalesce(mc.options, '{}'::jsonb) as model_options
      from providers p
      left join lateral (
        select m.model, m.options from model_configs m
        where m.provider_id = p.id and m.deleted_at is null
          and (case when ${model}::text is null then m.enabled else m.model = ${model}::text end)
        order by m.id
        limit 1
      ) mc on true
      where p.id = ${providerId} and p.deleted_at is null`;
    return row;
  }
}
