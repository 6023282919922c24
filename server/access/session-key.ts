/**
 * SESSION_KEY: the key that seals the sessions the console keeps in its database (sql-sessions.ts).
 * AES-256-GCM, a random 96-bit IV per record; each record names the key that sealed it by a key
 * ID (a digest of the key: it tells keys apart and reveals nothing of them), so that during a
 * rotation the previous key (SESSION_KEY_PREVIOUS) still opens what it sealed. The record is
 * bound to its row (the session ID's hash and the key ID are authenticated data): a sealed token
 * copied into another row does not open.
 *
 * The key is held like every secret of the console: `JSON.stringify`, `console.log`/`util.inspect`
 * and template strings show `[redacted]`.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const REDACTED = '[redacted]';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The format of a sealed record (its first byte), for a later change of scheme. */
const FORMAT = 1;

/** Why SESSION_KEY (or SESSION_KEY_PREVIOUS) is refused; names the variable, never the value. */
export class SessionKeyError extends Error {
  override name = 'SessionKeyError';
}

export class SessionKey {
  readonly #key: Buffer;
  /** Names the key in each record: the first 16 hex digits of a digest of it. Safe to log. */
  readonly id: string;

  private constructor(key: Buffer) {
    this.#key = key;
    this.id = createHash('sha256')
      .update('secmaster-console session key id\0')
      .update(key)
      .digest('hex')
      .slice(0, 16);
  }

  /**
   * 32 bytes written as 64 hex digits, or as base64 (standard or URL-safe, padded or not), e.g.
   * `openssl rand -base64 32`. Anything else is refused with a message naming `name`.
   */
  static parse(name: string, value: string): SessionKey {
    const how = `${name} must be 32 random bytes written as 64 hex digits or in base64 (e.g. the output of \`openssl rand -base64 32\`)`;
    const text = value.trim();
    let key: Buffer | null = null;
    if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex');
    else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
      const standard = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=$/, '');
      const decoded = Buffer.from(standard, 'base64');
      // Canonical only: the 43rd character's two spare bits must be zero.
      if (decoded.toString('base64').replace(/=$/, '') === standard) key = decoded;
    }
    if (key === null) {
      throw new SessionKeyError(`${how}; the value given has ${describeShape(text)}`);
    }
    // Not a proof of randomness, but it stops a placeholder ("000…", "aaaa…") in production.
    if (new Set(key).size < 8) {
      throw new SessionKeyError(`${how}; the value given does not look random`);
    }
    return new SessionKey(key);
  }

  /** Tests: a new random key. */
  static random(): SessionKey {
    return new SessionKey(randomBytes(KEY_BYTES));
  }

  /** Seals `plain` for the row `rowId`: format byte, IV, ciphertext, tag, in base64url. */
  seal(rowId: string, plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(aad(rowId, this.id));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(FORMAT), iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The plain text of a record this key sealed for `rowId`, or null (altered, damaged, not ours). */
  open(rowId: string, sealed: string): string | null {
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 1 + IV_BYTES + TAG_BYTES || raw[0] !== FORMAT) return null;
    const iv = raw.subarray(1, 1 + IV_BYTES);
    const tag = raw.subarray(raw.length - TAG_BYTES);
    const body = raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
      decipher.setAAD(aad(rowId, this.id));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SessionKey ${REDACTED} (id ${this.id})`;
  }
}

/** SESSION_KEY, and SESSION_KEY_PREVIOUS during a rotation (read only: never seals). */
export interface SessionKeys {
  readonly current: SessionKey;
  readonly previous: SessionKey | null;
}

/** The key of this ID among `keys`, or null (a key this console does not hold). */
export function keyById(keys: SessionKeys, id: string): SessionKey | null {
  if (keys.current.id === id) return keys.current;
  if (keys.previous?.id === id) return keys.previous;
  return null;
}

function aad(rowId: string, keyId: string): Buffer {
  return Buffer.from(`secmaster-console session v${FORMAT}\0${rowId}\0${keyId}`, 'utf8');
}

/** What the refused value looks like, without any of it: its length and alphabet. */
function describeShape(text: string): string {
  const alphabet = /^[0-9a-fA-F]*$/.test(text)
    ? 'hex digits'
    : /^[A-Za-z0-9+/_=-]*$/.test(text)
      ? 'base64 characters'
      : 'not only hex or base64 characters';
  return `${text.length} characters (${alphabet})`;
}
