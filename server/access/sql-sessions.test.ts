/**
 * Sessions shared through the database (SESSION_KEY), on SQLite and on a real PostgreSQL: two
 * stores on one database stand for two consoles. A session made on one is valid on the other, a
 * sign-out or an eviction on one holds on the other at its next read, and the limits count both.
 * The database holds neither a session ID nor an IAM token in clear; a key rotation reads the old
 * sessions; a key this console does not hold refuses the session here, never a crash.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  createSessionTables,
  openPostgresSessionDatabase,
  openSqliteSessionDatabase,
  type SessionDatabase,
} from '../db/sessions';
import { testDatabase } from '../testing/pg-database';
import { SqlAttemptLimiter } from './sql-limits';
import { Secret } from './secret';
import { SessionKey, type SessionKeys } from './session-key';
import { SessionLimitError, type EndReason, type NewSession, type SessionLimits } from './sessions';
import { SqlSessionStore, sessionIdHash } from './sql-sessions';

const PROJECT = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const HOUR = 3_600_000;

type Engine = 'sqlite' | 'postgres';

/** Opens another connection to the test's database: another console. */
let connect: () => SessionDatabase;
let opened: SessionDatabase[];
let dir: string | null;

async function setUp(engine: Engine): Promise<void> {
  opened = [];
  dir = null;
  if (engine === 'sqlite') {
    const d = mkdtempSync(join(tmpdir(), 'sql-sessions-'));
    dir = d;
    connect = () => openSqliteSessionDatabase(join(d, 'ledger.sqlite'));
  } else {
    const url = await testDatabase('sessions');
    connect = () => openPostgresSessionDatabase(url);
  }
  const first = connect();
  opened.push(first);
  await createSessionTables(first);
  // Twice: what the console runs at every start changes nothing the second time.
  await createSessionTables(first);
}

async function tearDown(): Promise<void> {
  for (const db of opened) await db.close();
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
}

interface Console {
  store: SqlSessionStore;
  db: SessionDatabase;
  ended: string[];
  logs: string[];
}

/** A console's session store on the shared database. */
function consoleOf(
  keys: SessionKeys,
  opts: { now?: () => number; limits?: SessionLimits } = {},
): Console {
  const db = connect();
  opened.push(db);
  const logs: string[] = [];
  const ended: string[] = [];
  const store = new SqlSessionStore({
    database: db,
    keys,
    now: opts.now,
    limits: opts.limits,
    log: (m) => logs.push(m),
  });
  store.onEnd((s, why: EndReason) => {
    ended.push(`${s.user} ${why}`);
  });
  return { store, db, ended, logs };
}

const iamInput = (user: string, token: string, over: Partial<NewSession> = {}): NewSession => ({
  method: 'iam',
  user,
  owner: `iam\nacme\n${user}\n${PROJECT}`,
  address: '203.0.113.7',
  expiresAt: Date.now() + HOUR,
  iam: { token: new Secret(token), projectId: PROJECT, region: 'cn-north-4', account: 'acme' },
  ...over,
});

const tokenOf = (s: { iam: { token: Secret } | null } | null) => s?.iam?.token.reveal() ?? null;

/** Every row of both tables, as one string (what a read of the database gives). */
async function dump(db: SessionDatabase): Promise<string> {
  const sessions = await db.run(db.q.selectFrom('sessions').selectAll());
  const attempts = await db.run(db.q.selectFrom('sign_in_attempts').selectAll());
  return JSON.stringify({ sessions, attempts });
}

describe.each<Engine>(['sqlite', 'postgres'])('shared sessions on %s', (engine) => {
  beforeEach(() => setUp(engine));
  afterEach(tearDown);

  const keys: SessionKeys = { current: SessionKey.random(), previous: null };

  test('a session made on A is valid on B with the same token; the database holds no clear token and no clear ID', async () => {
    const a = consoleOf(keys);
    const b = consoleOf(keys);
    const token = `MIIZ-iam-token-${'x'.repeat(3000)}-end`;
    const session = await a.store.create(iamInput('alice', token));
    const seen = await b.store.get(session.id);
    expect(seen).toMatchObject({
      id: session.id,
      method: 'iam',
      user: 'alice',
      owner: session.owner,
      expiresAt: session.expiresAt,
    });
    expect(tokenOf(seen)).toBe(token);
    expect(seen?.iam?.credentials.reveal()).toEqual({ kind: 'token', token });
    expect(await b.store.forCalls(session.id)).toMatchObject({ user: 'alice' });
    expect(await b.store.count()).toBe(1);

    const everything = await dump(a.db);
    expect(everything).not.toContain(session.id);
    expect(everything).not.toContain('MIIZ-iam-token');
    expect(everything).not.toContain('x'.repeat(64));
    expect(everything).toContain(sessionIdHash(session.id));
    // An access-token session too: its record is sealed like the others.
    const viaToken = await b.store.create({
      method: 'access-token',
      user: 'token user',
      owner: 'token\n203.0.113.8',
      address: '203.0.113.8',
      expiresAt: Date.now() + HOUR,
    });
    expect((await a.store.get(viaToken.id))?.user).toBe('token user');
    expect(await dump(a.db)).not.toContain(viaToken.id);
  });

  test('sign-out on B ends the session on A at once; A is told once, and the token is gone from the row', async () => {
    const a = consoleOf(keys);
    const b = consoleOf(keys);
    const session = await a.store.create(iamInput('alice', 'token-alice'));
    expect(await a.store.get(session.id)).not.toBeNull();
    expect(await b.store.get(session.id)).not.toBeNull();
    await b.store.delete(session.id);
    expect(b.ended).toEqual(['alice signed-out']);
    expect(await a.store.get(session.id)).toBeNull();
    expect(await a.store.forCalls(session.id)).toBeNull();
    expect(a.ended).toEqual(['alice signed-out']);
    expect(a.store.lastKnown(session.id)).toBeNull();
    const [row] = await a.db.run(
      a.db.q.selectFrom('sessions').selectAll().where('id_hash', '=', sessionIdHash(session.id)),
    );
    expect(row).toMatchObject({ end_reason: 'signed-out', sealed: null, key_id: null });
    expect(await a.store.count()).toBe(0);
  });

  test('the per-owner limit counts both consoles: the oldest ends, and its calls follow the newest (made on the other console)', async () => {
    const a = consoleOf(keys, { limits: { maxPerOwner: 2 } });
    const b = consoleOf(keys, { limits: { maxPerOwner: 2 } });
    const first = await a.store.create(iamInput('alice', 'token-1'));
    await b.store.create(iamInput('alice', 'token-2'));
    const third = await b.store.create(iamInput('alice', 'token-3'));
    expect(await a.store.get(first.id)).toBeNull();
    expect(a.ended).toEqual(['alice evicted']);
    // A batch A started under the first session goes on with the newest token, made on B.
    expect(tokenOf(await a.store.forCalls(first.id))).toBe('token-3');
    expect(tokenOf(a.store.lastKnown(first.id))).toBe('token-3');
    expect(await a.store.count()).toBe(2);
    // Renewal on A: B's calls under the third session follow it too.
    const fourth = await a.store.create(iamInput('alice', 'token-4', { address: '198.51.100.1' }));
    expect(tokenOf(await b.store.forCalls(third.id))).toBe('token-3');
    await a.store.renew(third.id, fourth);
    expect(await b.store.get(third.id)).toBeNull();
    expect(tokenOf(await b.store.forCalls(third.id))).toBe('token-4');
    expect(b.ended).toEqual(['alice renewed']);
  });

  test('the console-wide and per-address limits count both consoles; refused sign-ins end nobody', async () => {
    const limits = { maxSessions: 3, maxPerAddress: 2 };
    const a = consoleOf(keys, { limits });
    const b = consoleOf(keys, { limits });
    await a.store.create(iamInput('alice', 't1', { address: 'office' }));
    await b.store.create(iamInput('bob', 't2', { address: 'office' }));
    const fromOffice = b.store.create(iamInput('carol', 't3', { address: 'office' }));
    await expect(fromOffice).rejects.toThrow(/2 sessions are open from your address/);
    await a.store.create(iamInput('carol', 't3', { address: 'home' }));
    const refused = await b.store
      .create(iamInput('dave', 't4', { address: 'cafe' }))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SessionLimitError);
    expect((refused as SessionLimitError).scope).toBe('console');
    expect((refused as SessionLimitError).message).toContain('already has 3 open sessions');
    expect([...a.ended, ...b.ended]).toEqual([]);
    expect(await a.store.count()).toBe(3);
  });

  test('concurrent sign-ins on both consoles never pass the console-wide limit together', async () => {
    const limits = { maxSessions: 5 };
    const a = consoleOf(keys, { limits });
    const b = consoleOf(keys, { limits });
    const attempts = Array.from({ length: 16 }, (_, i) =>
      (i % 2 === 0 ? a : b).store
        .create(iamInput(`user${i}`, `t${i}`, { address: `addr${i}` }))
        .then(
          () => 'created',
          (e: unknown) => (e instanceof SessionLimitError ? 'refused' : String(e)),
        ),
    );
    const outcomes = await Promise.all(attempts);
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(5);
    expect(outcomes.filter((o) => o === 'refused')).toHaveLength(11);
    expect(await b.store.count()).toBe(5);
  });

  test('expiry: the session ends on every console; expired rows make room at the next sign-in', async () => {
    let t = 1_000_000;
    const a = consoleOf(keys, { now: () => t, limits: { maxSessions: 1 } });
    const b = consoleOf(keys, { now: () => t, limits: { maxSessions: 1 } });
    const s = await a.store.create(iamInput('alice', 'tok', { expiresAt: t + 1_000 }));
    expect(await b.store.get(s.id)).not.toBeNull();
    t += 1_000;
    expect(await b.store.get(s.id)).toBeNull();
    expect(b.ended).toEqual(['alice expired']);
    // The console is not full any more: the expired row makes room.
    await b.store.create(iamInput('bob', 'tok2', { expiresAt: t + 1_000 }));
    expect(await a.store.count()).toBe(1);
    expect(await dump(a.db)).not.toContain(sessionIdHash(s.id));
  });

  test('rotation: with the old key as SESSION_KEY_PREVIOUS the old sessions still open; new ones are sealed with the new key', async () => {
    const oldKey = SessionKey.random();
    const newKey = SessionKey.random();
    const before = consoleOf({ current: oldKey, previous: null });
    const old = await before.store.create(iamInput('alice', 'token-old'));
    const after = consoleOf({ current: newKey, previous: oldKey });
    expect(tokenOf(await after.store.get(old.id))).toBe('token-old');
    const fresh = await after.store.create(iamInput('bob', 'token-new'));
    const keyIds = await after.db.run(
      after.db.q.selectFrom('sessions').select(['id_hash', 'key_id']),
    );
    expect(new Map(keyIds.map((r) => [r.id_hash, r.key_id]))).toEqual(
      new Map([
        [sessionIdHash(old.id), oldKey.id],
        [sessionIdHash(fresh.id), newKey.id],
      ]),
    );
    expect(after.logs).toEqual([]);
  });

  test('a key this console does not hold: the session is refused here with a clear reason, never a crash; consoles with the key keep it', async () => {
    const k1 = SessionKey.random();
    const holder = consoleOf({ current: k1, previous: null });
    const s = await holder.store.create(iamInput('alice', 'token-alice'));
    const stranger = consoleOf({ current: SessionKey.random(), previous: SessionKey.random() });
    expect(await stranger.store.get(s.id)).toBeNull();
    expect(await stranger.store.get(s.id)).toBeNull();
    expect(await stranger.store.forCalls(s.id)).toBeNull();
    // Told once, naming the user, the key the record needs and what to set; no secret.
    expect(stranger.logs).toHaveLength(1);
    expect(stranger.logs[0]).toContain('"alice"');
    expect(stranger.logs[0]).toContain(k1.id);
    expect(stranger.logs[0]).toContain('SESSION_KEY_PREVIOUS');
    expect(stranger.logs[0]).not.toContain('token-alice');
    // The console that holds the key still accepts it.
    expect(tokenOf(await holder.store.get(s.id))).toBe('token-alice');
  });

  test('a record altered in the database ends the session for every console', async () => {
    const a = consoleOf(keys);
    const first = await a.store.create(iamInput('alice', 'token-alice'));
    const second = await a.store.create(iamInput('mallory', 'token-mallory'));
    // Mallory's row gets Alice's sealed record: it opens for no other row.
    const [alice] = await a.db.run(
      a.db.q.selectFrom('sessions').select('sealed').where('id_hash', '=', sessionIdHash(first.id)),
    );
    await a.db.run(
      a.db.q
        .updateTable('sessions')
        .set({ sealed: alice?.sealed ?? null })
        .where('id_hash', '=', sessionIdHash(second.id)),
    );
    // Alice's row claims another user: its plain columns no longer match its sealed record.
    await a.db.run(
      a.db.q
        .updateTable('sessions')
        .set({ user_name: 'admin' })
        .where('id_hash', '=', sessionIdHash(first.id)),
    );
    const b = consoleOf(keys);
    expect(await b.store.get(second.id)).toBeNull();
    expect(await b.store.get(first.id)).toBeNull();
    expect(b.logs.join('\n')).toContain('ended (unreadable)');
    const reasons = await b.db.run(b.db.q.selectFrom('sessions').select('end_reason'));
    expect(reasons.map((r) => r.end_reason)).toEqual(['unreadable', 'unreadable']);
  });

  test('failed credentials on console A and B add up against one limit, and concurrent takes never pass it', async () => {
    let t = 5_000_000;
    const a = consoleOf(keys);
    const b = consoleOf(keys);
    const onA = new SqlAttemptLimiter(a.db, 'failures', 5, 60_000, () => t);
    const onB = new SqlAttemptLimiter(b.db, 'failures', 5, 60_000, () => t);
    const otherLimit = new SqlAttemptLimiter(b.db, 'sign-ins', 5, 60_000, () => t);
    for (let i = 0; i < 3; i++) await onA.fail('198.51.100.66');
    expect(await onB.blockedForMs('198.51.100.66')).toBe(0);
    await onB.fail('198.51.100.66');
    const slot = await onB.take('198.51.100.66');
    expect(typeof slot).toBe('object');
    expect(await onA.blockedForMs('198.51.100.66')).toBe(60_000);
    expect(await onA.take('198.51.100.66')).toBe(60_000);
    // Another address, and another limit, are not touched.
    expect(await onA.blockedForMs('203.0.113.10')).toBe(0);
    expect(await otherLimit.blockedForMs('198.51.100.66')).toBe(0);
    // A slot given back (a success) frees its own place only, once.
    if (typeof slot === 'number') throw new Error('expected a slot');
    await slot.release();
    await slot.release();
    expect(await onA.blockedForMs('198.51.100.66')).toBe(0);
    // The window slides.
    t += 30_000;
    await onA.fail('198.51.100.66');
    expect(await onB.blockedForMs('198.51.100.66')).toBe(30_000);
    t += 30_001;
    expect(await onB.blockedForMs('198.51.100.66')).toBe(0);

    // 24 concurrent attempts from one address, half on each console: 5 slots in all.
    const taken = await Promise.all(
      Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? onA : onB).take('192.0.2.99')),
    );
    expect(taken.filter((x) => typeof x === 'object')).toHaveLength(5);
    // The counts hold client addresses only: no credential.
    expect(await dump(a.db)).toContain('192.0.2.99');
  });
});
