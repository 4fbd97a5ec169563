import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM sealing for provider credentials. Layout: version(1) | iv(12) | tag(16) | ciphertext.
 * The version byte lets a later scheme coexist with rows sealed under this one.
 *
 * Seals with `key`. Opens with `key`, else with `previousKey` when one is given: while a key is
 * being rotated (CHATQ_SECRET_KEY_PREVIOUS, `npm run rotate-key`) services keep working on rows the
 * rotation has not re-sealed yet.
 */
export class SecretBox {
  readonly #key: Buffer;
  readonly #previousKey: Buffer | undefined;

  constructor(key: Buffer, previousKey?: Buffer) {
    if (key.length !== 32 || (previousKey && previousKey.length !== 32))
      throw new Error('SecretBox needs 32-byte keys');
    this.#key = key;
    this.#previousKey = previousKey;
  }

  seal(plaintext: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]);
  }

  /** The plaintext; throws when neither key opens it (or it was tampered with). */
  open(sealed: Uint8Array): string {
    try {
      return this.#openWith(this.#key, sealed);
    } catch (err) {
      if (!this.#previousKey) throw err;
      return this.#openWith(this.#previousKey, sealed);
    }
  }

  #openWith(key: Buffer, sealed: Uint8Array): string {
    const buf = Buffer.from(sealed);
    if (buf[0] !== VERSION) throw new Error('unknown secret format');
    const iv = buf.subarray(1, 1 + IV_BYTES);
    const tag = buf.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(buf.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}
