/**
 * Which credential each SecMaster call goes out with, decided explicitly: a request's calls use its
 * caller's identity, a batch's calls the identity it was last started or resumed with. An IAM
 * session's calls use that session's token (and project); everyone else uses the environment's
 * credential. Access follows the user who asked for the work, for its whole run.
 *
 * The identity of a batch is recorded twice: its source (`env-aksk`, `env-token`, `session:<user>`,
 * `none`) in the ledger, for people and for the next start; the session in this process's memory
 * only. A restart therefore interrupts the batches that ran on a session ("sign in to resume"),
 * even when the sessions themselves survive it (SESSION_KEY): the user resumes them.
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
import type { CallSession, Session, SessionStore } from './sessions';

export const SIGN_IN_TO_RESUME = 'sign in to resume';

/** Who calls go out as: where the credential comes from and, for an IAM session, which session. */
export interface CallIdentity {
  /** `env-aksk`, `env-token`, `session:<user>`, or `none` (IAM sign-in mode, no IAM session). */
  source: string;
  /** The IAM session whose token is used, or null for the environment's credential. */
  sessionId: string | null;
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
   * Start-up, before the runner's crash recovery resumes what is running: every running batch
   * whose credential is gone becomes interrupted ("sign in to resume"): all `session:*` batches,
   * and environment batches when the environment has no credential now. Resolves with the batches
   * it interrupted.
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
  'transitionBatch' | 'setCredentialSource' | 'credentialSourceOf' | 'runningBatchIds'
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
  /** One Upstream per IAM session (its connections are reused across calls). */
  const perSession = new WeakMap<CallSession, Upstream>();
  /** Each batch's identity in this process (assigned, or read once from the ledger). */
  const batchIdentity = new Map<string, CallIdentity>();

  /**
   * The interruptions of the latest sign-out, while they are being recorded. A call whose session
   * is gone waits for them before it answers, so that a batch on a session signed out (on this
   * console or another) is interrupted as "<user> signed out", not as a refused credential.
   */
  let interrupting: Promise<void> = Promise.resolve();
  sessions.onEnd((s, why) => {
    if (why !== 'signed-out') return;
    const run = interrupting.then(async () => {
      for (const [batchId, { sessionId }] of [...batchIdentity]) {
        if (sessionId === null) continue;
        let live: CallSession | null;
        try {
          live = await sessions.forCalls(sessionId);
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

  const upstreamOf = (identity: CallIdentity): Upstream => {
    const { sessionId } = identity;
    if (sessionId !== null) {
      // Asked on every call: a lookup of many reads, or a batch, that outlives its session's
      // sign-out sends nothing more with that session's token.
      return {
        call: async (operation, opts) => {
          let session: CallSession | null;
          try {
            session = await sessions.forCalls(sessionId);
          } catch {
            // The session database cannot be read: nothing is sent, and the call says so.
            opts?.permit?.cancel();
            throw new UpstreamError(
              'connect',
              'the session database could not be read: nothing was sent',
            );
          }
          if (session === null) await interrupting;
          return (upstreamFor(session) ?? sessionEnded).call(operation, opts);
        },
        // The session's pacer (the runner takes a write's permit before committing its intent):
        // the session as last seen here; whether the call is sent is decided by `call`.
        get pacer() {
          return upstreamFor(sessions.lastKnown(sessionId))?.pacer;
        },
      };
    }
    if (identity.source === 'none' || !env) return noCredential;
    return env;
  };

  return {
    identityOf(session) {
      if (session?.iam) return { source: `session:${session.user}`, sessionId: session.id };
      return { source: envSource(config), sessionId: null };
    },
    upstreamOf,
    async assign(batchId, identity, opts) {
      // Memory first: the batch's calls go out as `identity` even if recording it fails.
      batchIdentity.set(batchId, identity);
      if (!opts?.recorded) await store.setCredentialSource(batchId, identity.source);
    },
    forBatch(batchId) {
      const identity = batchIdentity.get(batchId);
      if (identity !== undefined) return upstreamOf(identity);
      // Not started here (resumed at start-up): the environment's, unless the ledger says it ran
      // on a session this process never saw, which waits for a sign-in. Read at the first call;
      // until then its pacer is the environment's (a refused call gives its permit back).
      const known = (async (): Promise<Upstream> => {
        if ((await store.credentialSourceOf(batchId))?.startsWith('session:')) return sessionEnded;
        // Assigned meanwhile (a resume): that identity wins.
        const now = batchIdentity.get(batchId) ?? { source: envSource(config), sessionId: null };
        batchIdentity.set(batchId, now);
        return upstreamOf(now);
      })();
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
