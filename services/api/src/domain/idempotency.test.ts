import { describe, expect, it } from 'vitest';
import { BadRequestError } from './errors.ts';
import { idempotencyKeyOf, isRecordable, requestFingerprint } from './idempotency.ts';

describe('idempotencyKeyOf', () => {
  it.each([
    ['no header', undefined, undefined],
    ['one character', 'k', 'k'],
    ['255 characters', 'k'.repeat(255), 'k'.repeat(255)],
  ])('accepts %s', (_, header, key) => {
    expect(idempotencyKeyOf(header)).toBe(key);
  });

  it.each([
    ['an empty key', ''],
    ['256 characters', 'k'.repeat(256)],
    ['the header twice', ['a', 'b']],
  ])('refuses %s with a 400', (_, header) => {
    expect(() => idempotencyKeyOf(header)).toThrow(BadRequestError);
  });
});

describe('requestFingerprint', () => {
  const base = requestFingerprint('POST', '/api/v1/chats', { content: 'hi' });

  it('is the same for the same request', () => {
    expect(requestFingerprint('POST', '/api/v1/chats', { content: 'hi' }).equals(base)).toBe(true);
  });

  it.each([
    ['another body', requestFingerprint('POST', '/api/v1/chats', { content: 'ho' })],
    ['another path', requestFingerprint('POST', '/api/v1/chatz', { content: 'hi' })],
    ['another method', requestFingerprint('PATCH', '/api/v1/chats', { content: 'hi' })],
    ['no body', requestFingerprint('POST', '/api/v1/chats', undefined)],
  ])('differs for %s', (_, other) => {
    expect(other.equals(base)).toBe(false);
  });
});

describe('isRecordable', () => {
  it.each([
    [200, true],
    [201, true],
    [400, true],
    [404, true],
    [422, true],
    [409, false],
    [429, false],
    [500, false],
    [503, false],
  ])('status %i: %s', (status, recorded) => {
    expect(isRecordable(status)).toBe(recorded);
  });
});
