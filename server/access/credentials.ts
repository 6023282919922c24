/**
 * Which credential each SecMaster call goes out with, decided explicitly: a request's calls use its
 * caller's identity, a batch's calls the identity it was last started or resumed with. An IAM
 * session's calls use that session's token (and project); everyone else uses the environment's
 * credential. Access follows the user who asked for the work, for its whole run.
 *
 * The identity of a batch is recorded in the ledger: its source (`env-aksk`, `env-token`,
 * `session:<user>`, `none`), for people and for the next start, and with SESSION_KEY (sessions in
 * the shared database) the session itself by its stored key (`credential_session`: the SHA-256 the
 * sessions table is keyed by, never the session ID or the token). A batch on a session therefore
 * survives a restart, and can be run by another console sharing the database (a takeover), while
 * its session is live: the process that runs it next finds the session by that key and continues
 * on its token. When that session ended, expired, or its record does not open with this console's
 * keys, the batch's first call sends nothing and interrupts it ("sign in to resume"); the user
 * resuming it assigns their own session. Without SESSION_KEY the session lives in this process's
 * memory only: a restart interrupts the batches that ran on one ("sign in to resume").
 *
 * Whether a session is still live is asked of the session store on every call (with SESSION_KEY,
 * of the shared database: a sign-out on another console stops the next call here).
 *
 * The ledger is read and written through its store (server/db/store.ts: SQLite or PostgreSQL),
 * asynchronously: `assign` changes this process's memory at once (the batch's next call goes out
 * as the new identity) and resolves once the source is recorded; a batch whose identity this
 * process never saw (resumed at start-up) gets an Upstream that reads its source from the ledger
 * at its first call (`forBatch`; the runner asks for it synchronously, per call).
 */
import type { LedgerStore } from '../db/store';
import type { Config } from '../config';
import type { Credentials as SecretCredentials } from '../credentials';
import { UpstreamError, type Upstream, type UpstreamResponse } from '../secmaster/client';
import { MAX_SESSIONS, type CallSession, type Session, type SessionStore } from './sessions';

export const SIGN_IN_TO_RESUME = 'sign in to resume';

/** Who calls go out as: where the credential comes from and, for an IAM session, which session. */
export interface CallIdentity {
  /** `env-aksk`, `env-token`, `session:<user>`, or `none` (IAM sign-in mode, no IAM session). */
  source: string;
  /** The IAM session whose token is used, or null for the environment's credential. */
  sessionId: string | null;
  /**
   * That session's key in the shared session store (`SessionStore.storedKey`), recorded with the
   * batch; null or absent when sessions live in memory. Alone (`sessionId` null): a batch this
   * process took from the ledger (a restart, a takeover), which never saw the session's ID.
   */
  sessionKey?: string | null;
}

/** Where calls with one credential go: the project and the credential they are signed with. */
export interface UpstreamTarget {
  projectId: string;
  credentials: SecretCredentials;
  /**
   * Whom SecMaster's gateway counts these calls against, when it is not the credential itself: an
   * IAM session's user (`Session.owner`), whose every sign-in brings a new token but one rate limit.
   */
  rateKey?: string;
}

/** Builds the Upstream for a target (the endpoint and timeouts are the caller's). */
export type Connect = (target: UpstreamTarget) => Upstream;

export interface CallCredentials {
  /** The identity of a caller: its IAM session, else the environment's credential. */
  identityOf(session: Session | null): CallIdentity;
  /**
   * The Upstream that `identity`'s calls go out on. Without a usable credential (the session
   * ended, or the console has none) its calls send nothing and answer 401 SIGN_IN_REQUIRED, which
   * the runner and /v1 handle as SecMaster's own 401: stop, keep the IDs pending, ask for a sign-in.
   */
  upstreamOf(identity: CallIdentity): Upstream;
  /**
   * From now on the batch runs as `identity` (this process's memory, at once); resolves once the
   * ledger holds its source. `recorded`: the ledger already holds it (a batch created with it), so
   * only the memory changes.
   */
  assign(batchId: string, identity: CallIdentity, opts?: { recorded?: boolean }): Promise<void>;
  /** The Upstream of a batch's next call (read per call: a session may end mid-batch). */
  forBatch(batchId: string): Upstream;
  /**
   * Reads from the ledger whose credential a batch this process did not start runs on (taken over
   * from another console, resumed at start-up), before its run sends anything: its first call is
   * then paced on that credential's pacer, not the environment's. Never rejects (forBatch reads it
   * at the first call otherwise). `fromLedger`: the ledger's record wins over what this process
   * remembers (a console taking a batch: a resume on another console may have changed it).
   */
  load(batchId: string, opts?: { fromLedger?: boolean }): Promise<void>;
  /**
   * This process no longer runs the batch (consoles on PostgreSQL: its run here is over; a resume
   * elsewhere may give it another credential): its identity is read from the ledger next time.
   */
  forget(batchId: string): void;
  /**
   * Start-up, before the runner's crash recovery resumes what is running: every running batch
   * whose credential is gone becomes interrupted ("sign in to resume"): `session:*` batches, except
   * those whose session the shared store keeps (recorded by its key, SESSION_KEY), and environment
   * batches when the environment has no credential now. Resolves with the batches it interrupted. A
   * batch left running on its recorded session is interrupted by its first call if that session is
   * no longer live here (`forBatch`).
   */
  interruptOrphans(): Promise<string[]>;
}

/**
 * What a call without a usable credential answers, without sending anything. A pacing permit taken
 * for it (the session's pacer, before the session ended) is given back: nothing was sent.
 */
function refusal(message: string): Upstream {
  const answer: UpstreamResponse = {
    status: 401,
    requestId: null,
    body: { error_code: 'SIGN_IN_REQUIRED', error_msg: message },
    retryAfter: null,
  };
  return {
    call: (_operation, opts) => {
      opts?.permit?.cancel();
      return Promise.resolve(answer);
    },
  };
}

function envSource(config: Config): string {
  if (!config.credentials) return 'none';
  return config.credentials.kind === 'aksk' ? 'env-aksk' : 'env-token';
}

/** What the credentials read and write of the ledger: each batch's source, and interruptions. */
export type CredentialLedger = Pick<
  LedgerStore,
  | 'transitionBatch'
  | 'setCredentialSource'
  | 'credentialSourceOf'
  | 'credentialSessionOf'
  | 'runningBatchIds'
>;

export function createCallCredentials(deps: {
  config: Config;
  store: CredentialLedger;
  /**
   * Runs a store write (which starts in the call) without waiting for another process's write
   * lock (SQLite's `noWait`); by default as it is.
   */
  noWait?: <T>(write: () => T) => T;
  sessions: SessionStore;
  connect: Connect;
}): CallCredentials {
  const { config, store, sessions, connect } = deps;
  const noWait = deps.noWait ?? (<T>(write: () => T): T => write());
  const env = config.credentials
    ? connect({ projectId: config.projectId, credentials: config.credentials })
    : null;
  const noCredential = refusal(`no SecMaster credential: ${SIGN_IN_TO_RESUME}`);
  const sessionEnded = refusal(
    `the IAM sign-in behind this work expired or ended: ${SIGN_IN_TO_RESUME}`,
  );
  /** Why a batch taken from the ledger does not continue on the session it recorded. */
  const recordedSessionGone = `the IAM sign-in behind this work ended, expired, or cannot be opened on this console: ${SIGN_IN_TO_RESUME}`;
  /** One Upstream per IAM session (its connections are reused across calls). */
  const perSession = new WeakMap<CallSession, Upstream>();
  /** Each batch's identity in this process (assigned, or read once from the ledger). */
  const batchIdentity = new Map<string, CallIdentity>();
  /**
   * Sessions known only by their stored key → as their calls last found them (the pacer of their
   * next call, as `SessionStore.lastKnown` for an ID). Dropped once ended; bounded.
   */
  const byKey = new Map<string, CallSession>();

  /** What a call (or a load) found of a session known by its stored key (null: none live). */
  const seenByKey = (sessionKey: string, session: CallSession | null): void => {
    byKey.delete(sessionKey);
    if (session === null) return;
    byKey.set(sessionKey, session);
    if (byKey.size > MAX_SESSIONS) byKey.delete(byKey.keys().next().value ?? sessionKey);
  };

  /** The session an identity's calls use now (following renewals), or null; may throw. */
  const liveSession = (identity: CallIdentity): Promise<CallSession | null> => {
    if (identity.sessionId !== null) return sessions.forCalls(identity.sessionId);
    if (identity.sessionKey) return sessions.forCallsByKey(identity.sessionKey);
    return Promise.resolve(null);
  };

  /**
   * The interruptions of the latest sign-out, while they are being recorded. A call whose session
   * is gone waits for them before it answers, so that a batch on a session signed out (on this
   * console or another) is interrupted as "<user> signed out", not as a refused credential.
   */
  let interrupting: Promise<void> = Promise.resolve();
  sessions.onEnd((s, why) => {
    if (why !== 'signed-out') return;
    const run = interrupting.then(async () => {
      for (const [batchId, identity] of [...batchIdentity]) {
        if (identity.sessionId === null && !identity.sessionKey) continue;
        let live: CallSession | null;
        try {
          live = await liveSession(identity);
        } catch {
          continue; // Unreadable now: its own next call says so.
        }
        if (live !== null) continue;
        batchIdentity.delete(batchId);
        await store.transitionBatch(
          batchId,
          ['running'],
          'interrupted',
          `${s.user} signed out: ${SIGN_IN_TO_RESUME}`,
        );
      }
    });
    interrupting = run.catch(() => undefined);
    return run;
  });

  /** The Upstream of an IAM session, one per session. */
  const upstreamFor = (session: CallSession | null): Upstream | null => {
    if (!session?.iam) return null;
    let u = perSession.get(session);
    if (!u) {
      u = connect({
        projectId: session.iam.projectId,
        credentials: session.iam.credentials,
        rateKey: `iam:${session.owner}`,
      });
      perSession.set(session, u);
    }
    return u;
  };

  /**
   * The Upstream of an identity on a session. `gone`: told when a call finds the session no longer
   * live (before it answers).
   */
  const sessionUpstream = (identity: CallIdentity, gone?: () => void): Upstream => {
    const { sessionId, sessionKey } = identity;
    return {
      // Asked on every call: a lookup of many reads, or a batch, that outlives its session's
      // sign-out sends nothing more with that session's token.
      call: async (operation, opts) => {
        let session: CallSession | null;
        try {
          session = await liveSession(identity);
        } catch {
          // The session database cannot be read: nothing is sent, and the call says so.
          opts?.permit?.cancel();
          throw new UpstreamError(
            'connect',
            'the session database could not be read: nothing was sent',
          );
        }
        if (sessionId === null && sessionKey) seenByKey(sessionKey, session);
        if (session === null) {
          await interrupting;
          gone?.();
        }
        return (upstreamFor(session) ?? sessionEnded).call(operation, opts);
      },
      // The session's pacer (the runner takes a write's permit before committing its intent):
      // the session as last seen here; whether the call is sent is decided by `call`.
      get pacer() {
        const last =
          sessionId !== null
            ? sessions.lastKnown(sessionId)
            : sessionKey
              ? (byKey.get(sessionKey) ?? null)
              : null;
        return upstreamFor(last)?.pacer;
      },
    };
  };

  const upstreamOf = (identity: CallIdentity): Upstream => {
    if (identity.sessionId !== null || identity.sessionKey) return sessionUpstream(identity);
    if (identity.source === 'none' || !env) return noCredential;
    return env;
  };

  /**
   * The Upstream of a batch's calls as `identity`. A session known only by its stored key (taken
   * from the ledger) that is no longer live here sends nothing: the batch stops, interrupted, and
   * the user resumes it.
   */
  const batchUpstream = (batchId: string, identity: CallIdentity): Upstream => {
    if (identity.sessionId !== null || !identity.sessionKey) return upstreamOf(identity);
    const taken = identity;
    return sessionUpstream(taken, () => {
      if (batchIdentity.get(batchId) !== taken) return;
      batchIdentity.delete(batchId);
      // Its calls are refused meanwhile (sign in to resume), which stops the batch anyway.
      void store
        .transitionBatch(batchId, ['running'], 'interrupted', recordedSessionGone)
        .catch(() => undefined);
    });
  };

  /**
   * The identity the ledger records for a batch this process did not start: the environment's,
   * unless it ran on a session; that session by its stored key (SESSION_KEY), or null when there
   * is none (it waits for a sign-in).
   */
  const recordedIdentity = async (batchId: string): Promise<CallIdentity | null> => {
    const source = await store.credentialSourceOf(batchId);
    if (!source?.startsWith('session:')) return { source: envSource(config), sessionId: null };
    const key = sessions.shared ? await store.credentialSessionOf(batchId) : null;
    return key === null ? null : { source, sessionId: null, sessionKey: key };
  };

  /**
   * The ledger's identity of a batch, made this process's (null, and forgotten when `fromLedger`:
   * no session to run on). An identity assigned meanwhile (a resume here, which records it too)
   * wins unless `fromLedger`. Rejects when the ledger cannot be read.
   */
  const adoptRecorded = async (
    batchId: string,
    fromLedger: boolean,
  ): Promise<CallIdentity | null> => {
    const found = await recordedIdentity(batchId);
    if (found === null) {
      if (fromLedger) batchIdentity.delete(batchId);
      return null;
    }
    const identity = (fromLedger ? undefined : batchIdentity.get(batchId)) ?? found;
    batchIdentity.set(batchId, identity);
    return identity;
  };

  return {
    forget(batchId) {
      batchIdentity.delete(batchId);
    },
    async load(batchId, opts) {
      try {
        const identity =
          (opts?.fromLedger ? undefined : batchIdentity.get(batchId)) ??
          (await adoptRecorded(batchId, opts?.fromLedger ?? false));
        // No session to run on: its first call says so.
        if (identity === null) return;
        // A session known by its stored key only: as it is now, so that its pacer is known
        // before the first call.
        const key = identity.sessionId === null ? identity.sessionKey : null;
        if (key && !byKey.has(key)) seenByKey(key, await liveSession(identity));
      } catch {
        // Read again at its first call (forBatch), which says so if it still cannot be.
      }
    },
    identityOf(session) {
      if (session?.iam) {
        return {
          source: `session:${session.user}`,
          sessionId: session.id,
          sessionKey: sessions.storedKey(session.id),
        };
      }
      return { source: envSource(config), sessionId: null };
    },
    upstreamOf,
    async assign(batchId, identity, opts) {
      // Memory first: the batch's calls go out as `identity` even if recording it fails.
      batchIdentity.set(batchId, identity);
      const key = identity.sessionKey ?? null;
      if (!opts?.recorded) await store.setCredentialSource(batchId, identity.source, key);
      else if (key !== null) {
        // Created with its source; its session is recorded now. Should that write fail, the batch
        // still runs here, and after a restart it waits for a sign-in, as without SESSION_KEY:
        // creating it must not fail for it.
        try {
          await store.setCredentialSource(batchId, identity.source, key);
        } catch {
          // (See above.)
        }
      }
    },
    forBatch(batchId) {
      const identity = batchIdentity.get(batchId);
      if (identity !== undefined) return batchUpstream(batchId, identity);
      // Not started here (resumed at start-up, or taken over from another console): the
      // environment's, unless the ledger says it ran on a session. That session, recorded by its
      // stored key (SESSION_KEY), is looked up by it; without one it waits for a sign-in. Read at
      // the first call; until then its pacer is the environment's (a refused call gives its
      // permit back).
      const known = adoptRecorded(batchId, false).then((now) =>
        now === null ? sessionEnded : batchUpstream(batchId, now),
      );
      return {
        call: async (operation, opts) => {
          let upstream: Upstream;
          try {
            upstream = await known;
          } catch {
            // The ledger cannot be read: nothing is sent, and the call says so.
            opts?.permit?.cancel();
            throw new UpstreamError('connect', 'the ledger could not be read: nothing was sent');
          }
          return upstream.call(operation, opts);
        },
        get pacer() {
          return env?.pacer;
        },
      };
    },
    async interruptOrphans() {
      const envHasCredential = config.credentials !== null;
      const interrupted: string[] = [];
      for (const id of await store.runningBatchIds()) {
        const source = (await store.credentialSourceOf(id)) ?? 'env-legacy';
        if (source.startsWith('env-') && envHasCredential) continue;
        // Its session kept by the shared store: its first call finds whether it is still live.
        if (
          source.startsWith('session:') &&
          sessions.shared &&
          (await store.credentialSessionOf(id)) !== null
        ) {
          continue;
        }
        // Without waiting for another process's write lock: the caller retries with a backoff.
        const done = await noWait(() =>
          store.transitionBatch(id, ['running'], 'interrupted', SIGN_IN_TO_RESUME),
        );
        if (done) interrupted.push(id);
      }
      return interrupted;
    },
  };
}
