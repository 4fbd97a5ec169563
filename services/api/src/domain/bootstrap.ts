import { DEFAULT_MAX_STEPS, type User } from '@chatq/contracts';
import type { Sql } from '@chatq/platform';
import type { ModelConfigsRepository } from '../db/model-configs.repository.ts';
import type { ProvidersRepository } from '../db/providers.repository.ts';
import { transaction } from '../db/transaction.ts';
import type { TokenInsert, UsersRepository } from '../db/users.repository.ts';
import type { Auditor } from './audit.ts';
import type { Logger } from './logger.ts';
import { hashToken, mintToken, tokenPrefix } from './tokens.ts';

/** The first admin's token as stored: `chosen` when the operator set it (CHATQ_BOOTSTRAP_TOKEN). */
export function adminToken(token: string, chosen: boolean): TokenInsert {
  return {
    hash: hashToken(token),
    name: 'bootstrap',
    // A token the operator chose may be short enough that its start matters: show none of it.
    prefix: chosen ? null : tokenPrefix(token),
    expiresInDays: null,
  };
}

/**
 * Creates the first admin with `token` unless an admin exists (`UsersRepository.bootstrapAdmin`),
 * and records both rows in the audit log, with no actor, in the transaction that creates them.
 */
export function createFirstAdmin(
  users: UsersRepository,
  audit: Auditor,
  token: TokenInsert,
): Promise<User | undefined> {
  return users.bootstrapAdmin(token, async (user, tokenId) => {
    await audit.created('user', user.id);
    await audit.created('token', tokenId);
  });
}

/**
 * Makes sure an admin exists. With CHATQ_BOOTSTRAP_TOKEN the admin gets that token; without it a
 * random token is minted and logged once, by whichever replica created the admin. The audit log
 * records both, with no actor, in the transaction that creates them.
 */
export async function ensureAdmin(
  users: UsersRepository,
  audit: Auditor,
  bootstrapToken: string | undefined,
  log: Logger,
): Promise<void> {
  const token = bootstrapToken ?? mintToken();
  const created = await createFirstAdmin(users, audit, adminToken(token, bootstrapToken !== undefined));
  if (!created) return;
  if (bootstrapToken) log.info({ user_id: created.id }, 'created admin user with CHATQ_BOOTSTRAP_TOKEN');
  // Printed deliberately, once: it is the only way into a fresh install without a bootstrap token.
  else log.warn({ user_id: created.id }, `created admin user; its API token (shown once): ${token}`);
}

/** Arbitrary constant for the advisory lock that makes seeding single-flight. */
const SEED_LOCK_KEY = 0x63_71_73_64; // "cqsd"

/** A new install gets the built-in mock provider and a default model on it, so chats work at once. */
export async function seedMockProvider(
  sql: Sql,
  providers: ProvidersRepository,
  modelConfigs: ModelConfigsRepository,
  log: Logger,
): Promise<void> {
  // The repositories' queries join this transaction, so the lock covers them.
  await transaction(sql, async (tx) => {
    await tx`select pg_advisory_xact_lock(${SEED_LOCK_KEY})`;
    if ((await providers.list({ limit: 1, direction: 'after', cursor: null })).length > 0) return;
    const provider = await providers.insert({
      name: 'mock',
      kind: 'mock',
      base_url: null,
      api_key: null,
      secret_headers: null,
      options: {},
    });
    const model = await modelConfigs.insert({
      provider_id: provider!.id,
      model: 'mock-1',
      display_name: 'Mock (built in)',
      enabled: true,
      is_default: true,
      context_limit: null,
      max_output_tokens: null,
      input_price_per_mtok: null,
      output_price_per_mtok: null,
      system_prompt: null,
      max_steps: DEFAULT_MAX_STEPS,
      options: {},
    });
    log.info({ provider_id: provider!.id, model_config_id: model.id }, 'seeded the mock provider and default model');
  });
}
