/**
 * Which credential each call goes out with, without HTTP: the environment's for requests and
 * batches without an IAM session, a session's own for its requests and the batches it started or
 * resumed, and nothing sent (a 401 SIGN_IN_REQUIRED answered here) once that session is gone.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger, type Ledger } from '../batches/ledger';
import { sqliteStore, type LedgerStore } from '../db/store';
import { loadConfig } from '../config';
import { pacerKey } from '../console';
import { UpstreamError, type Upstream } from '../secmaster/client';
import { pacedUpstream } from '../secmaster/paced';
import { Pacer } from '../secmaster/pacer';
import { makeIds } from '../testing/fake-upstream';
import { newBatch } from '../testing/batches';
import { createCallCredentials, type UpstreamTarget } from './credentials';
import { Secret } from './secret';
import { MemorySessionStore, type SessionStore } from './sessions';

const PROJECT = '0123456789abcdef0123456789abcdef';
const SUBJECT = 'c0ffee00-0000-4000-8000-000000000001';

let dir: string;
let ledger: Ledger;
let store: LedgerStore;
let sessions: SessionStore;
/** Every Upstream built, with the target it was built for; its calls are counted. */
let built: { target: UpstreamTarget; calls: number }[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'credentials-'));
  ledger = openLedger(join(dir, 'ledger.sqlite'));
  sessions = new MemorySessionStore(Date.now);
  built = [];
});
afterEach(() => {
  vi.restoreAllMocks();
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `wrap`: what each built Upstream goes out through (a pacer, say). */
function credentialsFor(env: Record<string, string>, wrap: (u: Upstream) => Upstream = (u) => u) {
  const config = loadConfig({
    SECMASTER_MODE: 'secmaster',
    SECMASTER_ENDPOINT: 'https://secmaster.example.com',
    SECMASTER_REGION: 'cn-north-4',
    DATA_DIR: dir,
    ...env,
  });
  store = sqliteStore(ledger);
  return createCallCredentials({
    config,
    store,
    noWait: (write) => ledger.noWait(write),
    sessions,
    connect: (target): Upstream => {
      const entry = { target, calls: 0 };
      built.push(entry);
      return wrap({
        call: () => {
          entry.calls++;
          return Promise.resolve({ status: 200, requestId: null, body: {}, retryAfter: null });
        },
      });
    },
  });
}

function iamSession(user: string) {
  return sessions.create({
    method: 'iam',
    user,
    owner: `iam\n\n${user}\n${PROJECT}`,
    address: '127.0.0.1',
    expiresAt: Date.now() + 3_600_000,
    iam: {
      token: new Secret(`token-of-${user}`),
      projectId: PROJECT,
      region: 'cn-north-4',
      account: null,
    },
  });
}

const op = { op: 'listWorkspaces' } as const;

describe('with an environment credential', () => {
  test('every sign-in of one IAM user shares one pacer (APIG counts the user, not the token)', async () => {
    const credentials = credentialsFor(env);
    const signIn = (user: string, token: string) =>
      sessions.create({
        method: 'iam',
        user,
        owner: `iam\n\n${user}\n${PROJECT}`,
        address: '127.0.0.1',
        expiresAt: Date.now() + 3_600_000,
        iam: { token: new Secret(token), projectId: PROJECT, region: 'cn-north-4', account: null },
      });
    const first = await signIn('alice', 'token-one');
    const second = await signIn('alice', 'token-two');
    const bob = await signIn('bob', 'token-three');
    for (const s of [first, second, bob]) {
      await credentials.upstreamOf(credentials.identityOf(s)).call(op);
    }
    const keyOf = (s: typeof first) =>
      pacerKey(built.find((b) => b.target.credentials === s.iam?.credentials)!.target);
    expect(keyOf(first)).toBe(keyOf(second));
    expect(keyOf(bob)).not.toBe(keyOf(first));
    // No token in the key.
    expect(keyOf(first)).not.toContain('token-one');
  });

  const env = { SECMASTER_PROJECT_ID: PROJECT, SECMASTER_AUTH_TOKEN: 'env-token-value' };

  test('a caller without an IAM session goes out on it, and a batch with no identity too', async () => {
    const credentials = credentialsFor(env);
    const identity = credentials.identityOf(null);
    expect(identity).toEqual({ source: 'env-token', sessionId: null });
    await credentials.upstreamOf(identity).call(op);
    const batch = newBatch(ledger, { ids: makeIds(1), subject: SUBJECT });
    await credentials.forBatch(batch.id).call(op);
    expect(built).toHaveLength(1);
    expect(built[0]?.target.projectId).toBe(PROJECT);
    expect(built[0]?.calls).toBe(2);
  });

  test("an IAM session's batch goes out on its token until it signs out, then is interrupted and sends nothing", async () => {
    const credentials = credentialsFor(env);
    const alice = await iamSession('alice');
    const batch = newBatch(ledger, { ids: makeIds(3), subject: SUBJECT, user: 'alice' });
    await credentials.assign(batch.id, credentials.identityOf(alice));
    expect(ledger.getBatch(batch.id)?.credential_source).toBe('session:alice');

    await credentials.forBatch(batch.id).call(op);
    const mine = built.find((b) => b.target.credentials === alice.iam?.credentials);
    expect(mine?.calls).toBe(1);
    // A request's lookup holds its Upstream across many reads.
    const lookup = credentials.upstreamOf(credentials.identityOf(alice));

    await sessions.delete(alice.id);
    // Reads still to come after the sign-out send nothing with the ended session's token.
    expect(await lookup.call(op)).toMatchObject({ status: 401 });
    expect(ledger.getBatch(batch.id)).toMatchObject({
      state: 'interrupted',
      state_reason: 'alice signed out: sign in to resume',
    });
    const after = await credentials.forBatch(batch.id).call(op);
    expect(after).toMatchObject({ status: 401, body: { error_code: 'SIGN_IN_REQUIRED' } });
    expect(built.reduce((n, b) => n + b.calls, 0)).toBe(1);
  });

  test('a call that finds its session signed out answers only once the sign-out has interrupted its batch (the reason names who signed out)', async () => {
    const credentials = credentialsFor(env);
    const alice = await iamSession('alice');
    const batch = newBatch(ledger, { ids: makeIds(3), subject: SUBJECT, user: 'alice' });
    await credentials.assign(batch.id, credentials.identityOf(alice));
    // The sign-out's own check of the batch's session is slow (a database on another host).
    const forCalls = sessions.forCalls.bind(sessions);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let slowed = false;
    vi.spyOn(sessions, 'forCalls').mockImplementation(async (id) => {
      if (!slowed) {
        slowed = true;
        await gate;
      }
      return forCalls(id);
    });
    const signOut = sessions.delete(alice.id);
    let reasonWhenAnswered: string | null | undefined;
    const answered = credentials
      .forBatch(batch.id)
      .call(op)
      .then((res) => {
        reasonWhenAnswered = ledger.getBatch(batch.id)?.state_reason;
        return res;
      });
    // Several turns of the event loop: without the wait, the refusal would be answered by now.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(reasonWhenAnswered).toBeUndefined();
    open();
    await signOut;
    expect(await answered).toMatchObject({ status: 401 });
    expect(reasonWhenAnswered).toBe('alice signed out: sign in to resume');
    expect(built.reduce((n, b) => n + b.calls, 0)).toBe(0);
  });

  test("a write permit taken on the session's pacer is given back when the session ends before the send", async () => {
    // One call in flight at most: a permit never given back would block every later call.
    const pacer = new Pacer({ maxInFlight: 1 });
    const credentials = credentialsFor(env, (u) => pacedUpstream(u, pacer));
    const alice = await iamSession('alice');
    const batch = newBatch(ledger, { ids: makeIds(1), subject: SUBJECT, user: 'alice' });
    await credentials.assign(batch.id, credentials.identityOf(alice));
    const upstream = credentials.forBatch(batch.id);
    expect(upstream.pacer).toBe(pacer);
    // The runner takes the write's permit before committing its intent, then sends on it.
    const permit = await pacer.take('write');
    expect(pacer.snapshot('write').inFlight).toBe(1);

    await sessions.delete(alice.id);
    const ids = makeIds(1);
    const answer = await upstream.call(
      {
        op: 'associate',
        workspaceId: 'ws',
        dataclass: 'incidents',
        objectId: SUBJECT,
        related: 'alerts',
        ids,
      },
      { permit },
    );
    expect(answer).toMatchObject({ status: 401, body: { error_code: 'SIGN_IN_REQUIRED' } });
    expect(pacer.snapshot('write').inFlight).toBe(0);
    expect(built.reduce((n, b) => n + b.calls, 0)).toBe(0);
  });

  test('a session store that cannot be read: the call sends nothing, gives its permit back and says so (nothing sent)', async () => {
    const pacer = new Pacer({ maxInFlight: 1 });
    const credentials = credentialsFor(env, (u) => pacedUpstream(u, pacer));
    const alice = await iamSession('alice');
    const upstream = credentials.upstreamOf(credentials.identityOf(alice));
    const permit = await pacer.take('read');
    vi.spyOn(sessions, 'forCalls').mockRejectedValue(new Error('connection refused'));
    const failure = await upstream.call(op, { permit }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).toMatchObject({ kind: 'connect' });
    expect(pacer.snapshot('read').inFlight).toBe(0);
    expect(built.reduce((n, b) => n + b.calls, 0)).toBe(0);
  });

  test('a batch resumed by another caller runs on that caller’s credential from then on', async () => {
    const credentials = credentialsFor(env);
    const alice = await iamSession('alice');
    const batch = newBatch(ledger, { ids: makeIds(1), subject: SUBJECT });
    await credentials.assign(batch.id, credentials.identityOf(alice));
    await credentials.assign(batch.id, credentials.identityOf(null));
    expect(ledger.getBatch(batch.id)?.credential_source).toBe('env-token');
    await credentials.forBatch(batch.id).call(op);
    expect(built.map((b) => [b.target.projectId, b.calls])).toEqual([[PROJECT, 1]]);
  });

  test('a resume whose recording fails still runs as the caller who resumed it', async () => {
    const credentials = credentialsFor(env);
    const alice = await iamSession('alice');
    const batch = newBatch(ledger, { ids: makeIds(1), subject: SUBJECT });
    await credentials.assign(batch.id, credentials.identityOf(null));
    vi.spyOn(store, 'setCredentialSource').mockRejectedValue(new Error('disk full'));
    await expect(credentials.assign(batch.id, credentials.identityOf(alice))).rejects.toThrow(
      'disk full',
    );
    await credentials.forBatch(batch.id).call(op);
    const mine = built.find((b) => b.target.credentials === alice.iam?.credentials);
    expect(mine?.calls).toBe(1);
  });

  test('after a restart: session batches wait for a sign-in, environment batches go on', async () => {
    const before = credentialsFor(env);
    const sessionBatch = newBatch(ledger, { ids: makeIds(1), subject: SUBJECT });
    const envBatch = newBatch(ledger, { ids: makeIds(1, 'e'), subject: SUBJECT });
    await before.assign(sessionBatch.id, before.identityOf(await iamSession('alice')));
    await before.assign(envBatch.id, before.identityOf(null));

    // A call of the session batch was in flight when the process ended.
    const inFlight = ledger.claimChunk(sessionBatch.id, 100);
    expect(inFlight?.ids).toHaveLength(1);

    sessions = new MemorySessionStore(Date.now);
    const after = credentialsFor(env);
    expect(await after.interruptOrphans()).toEqual([sessionBatch.id]);
    // Crash recovery is the runner's (resumeAll): the in-flight ID is left for it to mark unknown.
    expect(ledger.counts(sessionBatch.id).in_flight).toBe(1);
    expect(ledger.getBatch(sessionBatch.id)).toMatchObject({
      state: 'interrupted',
      state_reason: 'sign in to resume',
    });
    expect(ledger.getBatch(envBatch.id)?.state).toBe('running');
  });
});

describe('without an environment credential (IAM sign-in only)', () => {
  test('a caller without a session has no identity to call with, and its calls send nothing', async () => {
    const credentials = credentialsFor({});
    const identity = credentials.identityOf(null);
    expect(identity).toEqual({ source: 'none', sessionId: null });
    const answer = await credentials.upstreamOf(identity).call(op);
    expect(answer).toMatchObject({
      status: 401,
      body: {
        error_code: 'SIGN_IN_REQUIRED',
        error_msg: 'no SecMaster credential: sign in to resume',
      },
    });
    expect(built).toEqual([]);
  });
});

describe('a batch this process did not start (taken over, resumed at start-up)', () => {
  /** Sessions as a shared store keeps them: found by their stored key (here, their ID). */
  class KeyedSessions extends MemorySessionStore {
    override readonly shared = true;
    override storedKey(id?: string): string | null {
      return id ?? null;
    }
    override forCallsByKey(key?: string) {
      return key === undefined ? Promise.resolve(null) : this.forCalls(key);
    }
  }

  test("load reads its recorded session before its first call: that call is paced on the session's pacer, not the environment's", async () => {
    sessions = new KeyedSessions(Date.now);
    const env = { SECMASTER_PROJECT_ID: PROJECT, SECMASTER_AUTH_TOKEN: 'env-token-value' };
    // One pacer per credential's key, shared by every process here, as console.ts's connect does.
    const pacers = new Map<string, Pacer>();
    const pacedByKey = (u: Upstream): Upstream => {
      const target = built.at(-1)?.target;
      if (!target) return u;
      const key = pacerKey(target);
      return pacedUpstream(u, () => {
        let p = pacers.get(key);
        if (!p) pacers.set(key, (p = new Pacer()));
        return p;
      });
    };
    const before = credentialsFor(env, pacedByKey);
    const alice = await iamSession('alice');
    const batch = newBatch(ledger, { ids: makeIds(3), subject: SUBJECT, user: 'alice' });
    await before.assign(batch.id, before.identityOf(alice));
    expect(ledger.getBatch(batch.id)?.credential_source).toBe('session:alice');
    await before.forBatch(batch.id).call(op);
    const alicePacer = before.forBatch(batch.id).pacer;
    expect(alicePacer).toBeDefined();

    // Another console (or this one restarted): nothing of the batch in its memory.
    const taker = credentialsFor(env, pacedByKey);
    // Unread, the batch's pacer is not its session's.
    expect(taker.forBatch(batch.id).pacer).not.toBe(alicePacer);
    await taker.load(batch.id);
    expect(taker.forBatch(batch.id).pacer).toBe(alicePacer);
    // Loading a batch whose session is gone changes nothing (its first call says so).
    await sessions.delete(alice.id);
    const other = newBatch(ledger, { ids: makeIds(1, 'o'), subject: SUBJECT, user: 'alice' });
    ledger.setCredentialSource(other.id, 'session:alice', alice.id);
    await expect(taker.load(other.id)).resolves.toBeUndefined();
  });
});
