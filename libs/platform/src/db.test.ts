import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './db.ts';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', 'ECONNREFUSED'],
    ['a dropped connection', 'CONNECTION_CLOSED'],
    ['a server shutting down', '57P01'],
    ['a server still starting', '57P03'],
    ['a server out of connection slots', '53300'],
    ['any connection exception', '08006'],
  ])('treats %s as an outage to wait out', (_name, code) => {
    expect(isDatabaseUnavailable(withCode(code))).toBe(true);
  });

  it.each([
    ['a unique violation', '23505'],
    ['a syntax error', '42601'],
    ['a raised exception', 'P0001'],
  ])('treats %s as a failing statement', (_name, code) => {
    expect(isDatabaseUnavailable(withCode(code))).toBe(false);
  });

  it('treats errors without a code as failing statements', () => {
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable('boom')).toBe(false);
  });
});
