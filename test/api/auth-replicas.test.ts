import { ChatqClient } from '@chatq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, uniqueName } from '../harness/db.ts';
import { outcome } from '../harness/refusal.ts';
import { type ServiceProcess, startService } from '../harness/processes.ts';
import { ADMIN_TOKEN, eventually, testEnv } from '../harness/stack.ts';

/**
 * Each API replica caches token lookups in its own memory; a revocation or a disabled user must
 * still be refused by every replica within a second. Two real API processes share one database and
 * Redis: the change goes through one, the other must refuse the token it had just accepted.
 */
describe('auth across API replicas', () => {
  let db: TestDatabase;
  let one: ServiceProcess;
  let two: ServiceProcess;
  let adminOnOne: ChatqClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = testEnv(db, uniqueName('q'));
    // One after the other: the first migrates and bootstraps, the second finds it done.
    one = await startService('api', env);
    two = await startService('api', env);
    adminOnOne = new ChatqClient({ baseUrl: one.url, token: ADMIN_TOKEN });
  });
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await db?.drop();
  });

  /** A member with a token, known to (and cached by) the second replica. */
  async function memberSeenByTwo(username: string): Promise<{ id: string; onTwo: ChatqClient; tokenId: string }> {
    const { user } = (await adminOnOne.createUser({ body: { username } })).body;
    const minted = (await adminOnOne.createToken({ params: { id: user.id }, body: {} })).body;
    const onTwo = new ChatqClient({ baseUrl: two.url, token: minted.token });
    expect((await onTwo.getMe()).status).toBe(200);
    return { id: user.id, onTwo, tokenId: minted.token_info.id };
  }

  /** How long after `since` the second replica starts refusing `client`. */
  async function refusedAfter(client: ChatqClient, since: number): Promise<number> {
    return eventually(async () => ((await outcome(client.getMe())).status === 401 ? Date.now() - since : undefined), {
      timeoutMs: 5_000,
      intervalMs: 20,
      what: 'the other replica to refuse the token',
    });
  }

  it('refuses a token revoked on another replica within a second', async () => {
    const { id, onTwo, tokenId } = await memberSeenByTwo('revoked-elsewhere');
    const revoked = await adminOnOne.revokeToken({ params: { id, token_id: tokenId } });
    expect(revoked.status).toBe(204);
    expect(await refusedAfter(onTwo, Date.now())).toBeLessThan(1_000);
  });

  it('refuses a user disabled on another replica within a second, and lets them back in', async () => {
    const { id, onTwo } = await memberSeenByTwo('disabled-elsewhere');
    expect((await adminOnOne.updateUser({ params: { id }, body: { disabled: true } })).status).toBe(200);
    expect(await refusedAfter(onTwo, Date.now())).toBeLessThan(1_000);

    expect((await adminOnOne.updateUser({ params: { id }, body: { disabled: false } })).status).toBe(200);
    await eventually(async () => ((await outcome(onTwo.getMe())).status === 200 ? true : undefined), {
      timeoutMs: 2_000,
      what: 'the re-enabled user to get in on the other replica',
    });
  });
});
