/**
 * SESSION_KEY: what is accepted (32 bytes, hex or base64), what is refused and how (the variable
 * named, never the value), and the sealing of one session record (AES-256-GCM, bound to its row).
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import { SessionKey, SessionKeyError, keyById } from './session-key';

const raw = randomBytes(32);

function refusal(value: string, name = 'SESSION_KEY'): string {
  try {
    SessionKey.parse(name, value);
  } catch (error) {
    if (error instanceof SessionKeyError) return error.message;
    throw error;
  }
  throw new Error('expected a SessionKeyError');
}

describe('SessionKey.parse', () => {
  test('32 bytes as hex, base64 or base64url (padded or not) are one and the same key', () => {
    const forms = [
      raw.toString('hex'),
      raw.toString('hex').toUpperCase(),
      raw.toString('base64'),
      raw.toString('base64').replace(/=$/, ''),
      raw.toString('base64url'),
      ` ${raw.toString('base64')}\n`,
    ];
    const ids = new Set(forms.map((f) => SessionKey.parse('SESSION_KEY', f).id));
    expect(ids.size).toBe(1);
    // Another key, another ID; the ID is 16 hex digits and none of the key.
    const other = SessionKey.random();
    expect(ids.has(other.id)).toBe(false);
    expect([...ids][0]).toMatch(/^[0-9a-f]{16}$/);
    expect(raw.toString('hex')).not.toContain([...ids][0]);
  });

  test.each([
    ['too short', randomBytes(16).toString('base64')],
    ['too long', randomBytes(48).toString('base64')],
    ['63 hex digits', raw.toString('hex').slice(1)],
    ['a pass phrase', 'correct horse battery staple and then some more words'],
    ['not canonical base64', `${raw.toString('base64').slice(0, 42)}B=`],
  ])('refused: %s, naming the variable and how to make one, never the value', (_what, value) => {
    const message = refusal(value);
    expect(message).toContain('SESSION_KEY must be 32 random bytes');
    expect(message).toContain('openssl rand -base64 32');
    expect(message).not.toContain(value.trim());
  });

  test('a placeholder that is not random is refused', () => {
    expect(refusal('0'.repeat(64))).toContain('does not look random');
    expect(refusal('ab'.repeat(32), 'SESSION_KEY_PREVIOUS')).toContain(
      'SESSION_KEY_PREVIOUS must be 32 random bytes',
    );
  });

  test('the key never shows in JSON, inspect or a template string', () => {
    const key = SessionKey.parse('SESSION_KEY', raw.toString('base64'));
    const shown = [JSON.stringify({ key }), inspect(key), `${String(key)}`].join('\n');
    expect(shown).not.toContain(raw.toString('base64'));
    expect(shown).not.toContain(raw.toString('hex'));
    expect(shown).toContain('[redacted]');
  });
});

describe('sealing', () => {
  const key = SessionKey.random();
  const plain = JSON.stringify({ token: 'MIIt-iam-token-never-stored-in-clear', user: 'alice' });

  test('round trip: what is sealed for a row opens for that row with that key', () => {
    const sealed = key.seal('row-1', plain);
    expect(sealed).not.toContain('MIIt-iam-token');
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('MIIt-iam-token');
    expect(key.open('row-1', sealed)).toBe(plain);
    // A new IV every time: the same record seals differently.
    expect(key.seal('row-1', plain)).not.toBe(sealed);
  });

  test('another row, another key, or one changed byte: nothing opens', () => {
    const sealed = key.seal('row-1', plain);
    expect(key.open('row-2', sealed)).toBeNull();
    expect(SessionKey.random().open('row-1', sealed)).toBeNull();
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[20] = (bytes[20] ?? 0) ^ 1;
    expect(key.open('row-1', bytes.toString('base64url'))).toBeNull();
    expect(key.open('row-1', 'not-a-record')).toBeNull();
    expect(key.open('row-1', '')).toBeNull();
  });

  test('keyById: the current key, the previous one, or none', () => {
    const current = SessionKey.random();
    const previous = SessionKey.random();
    expect(keyById({ current, previous }, current.id)).toBe(current);
    expect(keyById({ current, previous }, previous.id)).toBe(previous);
    expect(keyById({ current, previous: null }, previous.id)).toBeNull();
    expect(keyById({ current, previous }, SessionKey.random().id)).toBeNull();
  });
});
