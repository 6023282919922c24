/**
 * SessionStore limits (issue 10, defect 6): a cap per owner that ends only the owner's own oldest
 * session (its calls then follow the owner's newest IAM session), and a console-wide cap that
 * refuses new sessions and never ends anybody else's.
 */
import { describe, expect, test } from 'vitest';
import { Secret } from './secret';
import { MemorySessionStore, SessionLimitError } from './sessions';

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

  test('full: create throws and ends nobody; expired sessions make room first', async () => {
    let t = 1_000;
    const store = new MemorySessionStore(() => t, { maxSessions: 3, maxPerOwner: 1 });
    const ended: string[] = [];
    store.onEnd((s, why) => {
      ended.push(`${s.owner} ${why}`);
    });
    await store.create(input('a', 5_000));
    await store.create(input('b', 10_000));
    await store.create(input('c', 10_000));
    await expect(store.create(input('d', 10_000))).rejects.toThrow(SessionLimitError);
    expect(ended).toEqual([]);
    expect(await store.count()).toBe(3);
    // The owner's own limit: its oldest ends, so the console's cap is not in the way.
    expect((await store.create(input('c', 10_000))).owner).toBe('c');
    expect(ended).toEqual(['c evicted']);
    expect(await store.count()).toBe(3);
    // a's session has expired: it makes room, and nobody else's session ends.
    t = 6_000;
    expect((await store.create(input('d', 10_000))).owner).toBe('d');
    expect(ended).toEqual(['c evicted', 'a expired']);
    expect(await store.count()).toBe(3);
  });

  test('one address holds at most maxPerAddress sessions: a new owner from there is refused, nobody is signed out', async () => {
    const store = new MemorySessionStore(() => 0, { maxPerAddress: 3, maxPerOwner: 1 });
    const ended: string[] = [];
    store.onEnd((s, why) => {
      ended.push(`${s.owner} ${why}`);
    });
    await store.create(input('victim', 10_000, 'office'));
    for (const owner of ['x1', 'x2']) await store.create(input(owner, 10_000, 'attacker'));
    await store.create(input('x3', 10_000, 'attacker'));
    // The attacker's address is full: another account from there is refused...
    let refused: unknown = null;
    try {
      await store.create(input('x4', 10_000, 'attacker'));
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(SessionLimitError);
    expect((refused as SessionLimitError).scope).toBe('address');
    expect((refused as SessionLimitError).message).toMatch(/3 sessions are open from your address/);
    // ...while other addresses still sign in, and nobody's session ended.
    expect((await store.create(input('colleague', 10_000, 'office'))).owner).toBe('colleague');
    expect(ended).toEqual([]);
    // An owner at its own limit replaces its oldest, adding none: allowed at a full address.
    expect((await store.create(input('x1', 10_000, 'attacker'))).owner).toBe('x1');
    expect(ended).toEqual(['x1 evicted']);
  });

  test("an evicted IAM session's calls follow the owner's new session", async () => {
    const store = new MemorySessionStore(() => 0, { maxPerOwner: 1 });
    const old = await store.create(input('a', 10_000));
    const next = await store.create(input('a', 10_000));
    expect(await store.get(old.id)).toBeNull();
    expect(await store.forCalls(old.id)).toBe(next);
  });
});
