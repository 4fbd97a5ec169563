import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from './secrets.ts';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('opens what it sealed, with a fresh nonce each time', () => {
    const a = box.seal('sk-secret');
    const b = box.seal('sk-secret');
    expect(a.equals(b)).toBe(false);
    expect(box.open(a)).toBe('sk-secret');
    expect(a.toString('latin1')).not.toContain('sk-secret');
  });

  it('refuses tampered ciphertext and a different key', () => {
    const sealed = box.seal('sk-secret');
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => box.open(tampered)).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow();
  });

  it('opens with the previous key during a rotation, and seals only with the current one', () => {
    const old = randomBytes(32);
    const sealedBefore = new SecretBox(old).seal('sk-secret');
    const rotating = new SecretBox(randomBytes(32), old);
    expect(rotating.open(sealedBefore)).toBe('sk-secret');
    expect(() => new SecretBox(old).open(rotating.seal('sk-new'))).toThrow();
  });

  it('insists on a 32-byte key', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow('32-byte');
  });
});
