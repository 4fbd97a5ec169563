import { createLogger } from '@chatq/platform';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UsersRepository } from '../db/users.repository.ts';
import { AuthService } from './auth.service.ts';
import type { Caller } from './caller.ts';

const caller: Caller = {
  user: {
    id: '0197a3b0-5d2e-7f30-9b4c-5d6e7f8a9b01',
    username: 'ana',
    role: 'member',
    rate_limits: { requests_per_minute: null, turns_per_minute: null },
    spend_limit: null,
    disabled: false,
    created_at: '2025-06-15T09:30:00.000Z',
  },
  tokenId: '0197a3b0-6e3f-7a41-8c5d-6e7f8a9b0c09',
  tokenExpiresAt: null,
};

/** A repository whose token is valid until `revoke()`, counting lookups and recorded uses. */
function fakeUsers() {
  let valid = true;
  const users = {
    lookups: 0,
    touches: 0,
    revoke: () => {
      valid = false;
    },
    findByTokenHash: async () => {
      users.lookups++;
      return valid ? caller : undefined;
    },
    touchToken: async () => {
      users.touches++;
    },
  };
  return users;
}

describe('the auth cache', () => {
  let listening: boolean;
  let users: ReturnType<typeof fakeUsers>;
  let auth: AuthService;
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2025-06-15T09:30:00Z') });
    listening = true;
    users = fakeUsers();
    auth = new AuthService(users as unknown as UsersRepository, {
      listening: () => listening,
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
  });
  afterEach(() => vi.useRealTimers());

  it('trusts a lookup for 30 s while invalidations arrive, and forgets it when told', async () => {
    await auth.authenticate('cq_token');
    vi.advanceTimersByTime(29_000);
    expect(await auth.authenticate('cq_token')).toEqual(caller);
    expect(users.lookups).toBe(1);
    users.revoke();
    auth.forget(caller.user.id);
    expect(await auth.authenticate('cq_token')).toBeUndefined();
  });

  it('trusts a lookup for one second only while invalidations may be missed (Redis away)', async () => {
    listening = false;
    await auth.authenticate('cq_token');
    users.revoke();
    vi.advanceTimersByTime(900);
    expect(await auth.authenticate('cq_token')).toEqual(caller);
    vi.advanceTimersByTime(200);
    expect(await auth.authenticate('cq_token')).toBeUndefined();
  });

  it('does not cache a lookup that an invalidation overtook', async () => {
    const lookup = auth.authenticate('cq_token');
    auth.forget(caller.user.id);
    await lookup;
    await auth.authenticate('cq_token');
    expect(users.lookups).toBe(2);
  });

  it('refuses a cached token once it expires', async () => {
    users.findByTokenHash = async () => ({ ...caller, tokenExpiresAt: Date.now() + 5_000 });
    expect(await auth.authenticate('cq_token')).toBeDefined();
    users.findByTokenHash = async () => undefined;
    vi.advanceTimersByTime(5_000);
    expect(await auth.authenticate('cq_token')).toBeUndefined();
  });

  it('records a token’s use at most once a minute', async () => {
    for (let i = 0; i < 10; i++) await auth.authenticate('cq_token');
    expect(users.touches).toBe(1);
    vi.advanceTimersByTime(60_000);
    await auth.authenticate('cq_token');
    expect(users.touches).toBe(2);
  });
});
