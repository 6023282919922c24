/**
 * SessionStore limits (issue 10, defect 6): a cap per owner that ends only the owner's own oldest
 * session (its calls then follow the owner's newest IAM session), and a console-wide cap that
 * refuses new sessions and never ends anybody else's.
 */
import { describe, expect, test } from 'vitest';
import { Secret } from './secret';
import { SessionLimitError, SessionStore } from './sessions';

const PROJECT = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';

describe('SessionStore', () => {
  const input = (owner: string, expiresAt: number, address = `addr-${owner}`) => ({
    method: 'iam' as const,
    user: owner,
    owner,
    address,
    expiresAt,
    iam: { token: new Secret(`token-${owner}`), projectId: PROJECT, region: 'r', account: 'a' },
  });

  test('full: create throws and ends nobody; expired sessions make room first', () => {
    let t = 1_000;
    const store = new SessionStore(() => t, { maxSessions: 3, maxPerOwner: 1 });
    const ended: string[] = [];
    store.onEnd((s, why) => ended.push(`${s.owner} ${why}`));
    store.create(input('a', 5_000));
    store.create(input('b', 10_000));
    store.create(input('c', 10_000));
    expect(() => store.create(input('d', 10_000))).toThrow(SessionLimitError);
    expect(ended).toEqual([]);
    expect(store.size).toBe(3);
    // The owner's own limit: its oldest ends, so the console's cap is not in the way.
    expect(store.create(input('c', 10_000)).owner).toBe('c');
    expect(ended).toEqual(['c evicted']);
    expect(store.size).toBe(3);
    // a's session has expired: it makes room, and nobody else's session ends.
    t = 6_000;
    expect(store.create(input('d', 10_000)).owner).toBe('d');
    expect(ended).toEqual(['c evicted', 'a expired']);
    expect(store.size).toBe(3);
  });

  test('one address holds at most maxPerAddress sessions: a new owner from there is refused, nobody is signed out', () => {
    const store = new SessionStore(() => 0, { maxPerAddress: 3, maxPerOwner: 1 });
    const ended: string[] = [];
    store.onEnd((s, why) => ended.push(`${s.owner} ${why}`));
    store.create(input('victim', 10_000, 'office'));
    for (const owner of ['x1', 'x2']) store.create(input(owner, 10_000, 'attacker'));
    store.create(input('x3', 10_000, 'attacker'));
    // The attacker's address is full: another account from there is refused...
    let refused: unknown = null;
    try {
      store.create(input('x4', 10_000, 'attacker'));
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(SessionLimitError);
    expect((refused as SessionLimitError).scope).toBe('address');
    expect((refused as SessionLimitError).message).toMatch(/3 sessions are open from your address/);
    // ...while other addresses still sign in, and nobody's session ended.
    expect(store.create(input('colleague', 10_000, 'office')).owner).toBe('colleague');
    expect(ended).toEqual([]);
    // An owner at its own limit replaces its oldest, adding none: allowed at a full address.
    expect(store.create(input('x1', 10_000, 'attacker')).owner).toBe('x1');
    expect(ended).toEqual(['x1 evicted']);
  });

  test("an evicted IAM session's calls follow the owner's new session", () => {
    const store = new SessionStore(() => 0, { maxPerOwner: 1 });
    const old = store.create(input('a', 10_000));
    const next = store.create(input('a', 10_000));
    expect(store.get(old.id)).toBeNull();
    expect(store.forCalls(old.id)?.id).toBe(next.id);
  });
});
