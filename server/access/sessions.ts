/**
 * Console sessions: a random 256-bit ID (the `sm_session` cookie) → who signed in, how, until
 * when, and (IAM sign-in) the IAM token. `SessionStore` is the seam; two stores implement it:
 *
 * - `MemorySessionStore` (here, the default): nothing is ever written to disk. A restart signs
 *   everyone out, and one console's sessions are unknown to another (sticky sessions needed).
 * - `SqlSessionStore` (sql-sessions.ts, with SESSION_KEY): the ledger's database holds every
 *   console's sessions, the session ID only as a SHA-256 hash and the IAM token only encrypted
 *   (AES-256-GCM with SESSION_KEY); sessions survive a restart and are valid on every console.
 *
 * Both keep the same limits (per owner, per address, in all), expiry and end reasons. Every method
 * that may read the database is async; `lastKnown` is the one synchronous read (no database): what
 * this process last saw of a session, for choosing a pacer, never for deciding to send.
 */
import { randomBytes } from 'node:crypto';
import { Credentials } from '../credentials';
import type { Secret } from './secret';

export const SESSION_COOKIE = 'sm_session';
/** Access-token sessions last this long (IAM sessions end with their token, 24 h at most). */
export const ACCESS_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/**
 * At most this many live sessions in all. Beyond it new sign-ins are refused
 * (`SessionLimitError`): nobody's session is ever ended to make room for somebody else's.
 */
export const MAX_SESSIONS = 10_000;
/** At most this many live sessions per owner; a new one beyond it ends that owner's oldest. */
export const MAX_SESSIONS_PER_OWNER = 20;
/**
 * At most this many live sessions opened from one client address (IPv6: one /64): beyond it a
 * new sign-in from there is refused, so that one address with many accounts cannot fill the
 * console (a whole office behind one NAT stays well under it).
 */
export const MAX_SESSIONS_PER_ADDRESS = 200;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export type SignInMethod = 'access-token' | 'iam';
/**
 * Why a session ended. `unreadable` (database store only): its sealed record cannot be decrypted
 * (altered or damaged: it is ended for every console; sealed with a key this console does not
 * hold: refused on this console only, see sql-sessions.ts).
 */
export type EndReason = 'signed-out' | 'expired' | 'evicted' | 'renewed' | 'unreadable';

/** The console holds MAX_SESSIONS live sessions: no new one until some end. */
export class SessionLimitError extends Error {
  override name = 'SessionLimitError';
  constructor(
    message: string,
    /** `console`: the whole console is full; `address`: the caller's address holds its most. */
    readonly scope: 'console' | 'address' = 'console',
  ) {
    super(message);
  }
}

export interface IamSessionData {
  token: Secret;
  /** `Credentials.token(token)` for the upstream (redacted like every credential). */
  credentials: Credentials;
  projectId: string;
  region: string;
  account: string | null;
}

/**
 * A session as the calls made under it see it. A console may know a session only by its
 * predecessor's link (renewed on another console), so without its ID (the cookie).
 */
export interface CallSession {
  readonly method: SignInMethod;
  readonly user: string;
  /**
   * Whose sessions these are for the per-owner limit: one IAM user (account, user, project), or
   * the access token at one client address (everyone with the token is the same "token user").
   */
  readonly owner: string;
  /** The client address it was opened from, as the sign-in limits count it (IPv6: its /64). */
  readonly address: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly iam: IamSessionData | null;
}

/** A session found by its ID (the `sm_session` cookie), or just created. */
export interface Session extends CallSession {
  readonly id: string;
}

/** What a new session is made of (`SessionStore.create`). */
export interface NewSession {
  method: SignInMethod;
  user: string;
  owner: string;
  address: string;
  expiresAt: number;
  iam?: Omit<IamSessionData, 'credentials'> | null;
}

export type EndListener = (s: CallSession, why: EndReason) => void | Promise<void>;

/** Where sessions live (see the top of this file). */
export interface SessionStore {
  /**
   * Whether other processes see these sessions (the shared database, SESSION_KEY): a batch's
   * recorded session (`storedKey`) can then be found after a restart or on another console.
   */
  readonly shared: boolean;
  /** Called when this console ends a session, or first notices that it ended. */
  onEnd(listener: EndListener): void;
  /**
   * A new session for `input.owner`. When that owner already holds the most sessions allowed, its
   * own oldest one ends (`evicted`); an IAM session's work then continues with the new one's token
   * (as on renewal), since both are the same IAM user in the same project. When the whole console
   * is full, or the caller's address holds its most, throws SessionLimitError and ends nobody's
   * session.
   */
  create(input: NewSession): Promise<Session>;
  /** The live session with this ID, or null. */
  get(id: string | undefined | null): Promise<Session | null>;
  /** Signs out: the session and its token are forgotten. */
  delete(id: string): Promise<void>;
  /**
   * The same user signed in again: the old session (and its cookie) ends, and work started under
   * it continues with the new one's token (`forCalls`).
   */
  renew(oldId: string, successor: Session): Promise<void>;
  /** The live session whose token a call started under `id` uses now (following renewals). */
  forCalls(id: string): Promise<CallSession | null>;
  /**
   * The key under which the store keeps session `id` for every process that shares it (the
   * SHA-256 of the ID: not a credential, the cookie cannot be rebuilt from it), recorded with a
   * batch so that the next process to run the batch finds its session (`forCallsByKey`). Null when
   * sessions live in this process's memory only: nothing outside it could find them.
   */
  storedKey(id: string): string | null;
  /** `forCalls` of the session stored under `key` (`storedKey`); null in memory. */
  forCallsByKey(key: string): Promise<CallSession | null>;
  /**
   * What `forCalls(id)` would answer as far as this process knows, without asking the database:
   * which pacer a call will go through. Never a reason to send: `forCalls` decides that.
   */
  lastKnown(id: string): CallSession | null;
  /** Live sessions (of every console sharing the store). */
  count(): Promise<number>;
}

export interface SessionLimits {
  /** Live sessions in all (default MAX_SESSIONS). */
  maxSessions?: number;
  /** Live sessions per owner (default MAX_SESSIONS_PER_OWNER). */
  maxPerOwner?: number;
  /** Live sessions opened from one address (default MAX_SESSIONS_PER_ADDRESS). */
  maxPerAddress?: number;
}

/** Limits of a store, defaults filled in. */
export function limitsOf(limits: SessionLimits): Required<SessionLimits> {
  return {
    maxSessions: limits.maxSessions ?? MAX_SESSIONS,
    maxPerOwner: limits.maxPerOwner ?? MAX_SESSIONS_PER_OWNER,
    maxPerAddress: limits.maxPerAddress ?? MAX_SESSIONS_PER_ADDRESS,
  };
}

/** Whether `id` has the form of a session ID (anything else is never looked up). */
export function isSessionId(id: string | undefined | null): id is string {
  return typeof id === 'string' && SESSION_ID.test(id);
}

/** A new random session ID (256 bits). */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

export function addressLimitError(open: number): SessionLimitError {
  return new SessionLimitError(
    `${open} sessions are open from your address, its limit: sign out of some, or wait until they expire`,
    'address',
  );
}

export function consoleLimitError(open: number): SessionLimitError {
  return new SessionLimitError(
    `the console already has ${open} open sessions, its limit: new sign-ins are refused until some end (sign-out or expiry); try again later`,
  );
}

/** The session's IAM part with its upstream credentials (redacted like every credential). */
export function withCredentials(
  iam: Omit<IamSessionData, 'credentials'> | null | undefined,
): IamSessionData | null {
  return iam
    ? Object.freeze({
        ...iam,
        credentials: Credentials.token(iam.token.reveal(), 'iam-sign-in'),
      })
    : null;
}

/** Sessions in this process's memory only (no SESSION_KEY): today's behaviour. */
export class MemorySessionStore implements SessionStore {
  readonly shared: boolean = false;
  readonly #sessions = new Map<string, Session>();
  readonly #listeners: EndListener[] = [];
  /** Renewed sessions → their successor (for the calls of batches started before the renewal). */
  readonly #successors = new Map<string, string>();
  readonly #limits: Required<SessionLimits>;

  constructor(
    private readonly now: () => number = Date.now,
    limits: SessionLimits = {},
  ) {
    this.#limits = limitsOf(limits);
  }

  onEnd(listener: EndListener): void {
    this.#listeners.push(listener);
  }

  async create(input: NewSession): Promise<Session> {
    const t = this.now();
    const own: Session[] = [];
    let fromAddress = 0;
    const expired: Session[] = [];
    for (const s of [...this.#sessions.values()]) {
      if (s.expiresAt <= t) {
        expired.push(s);
        this.#sessions.delete(s.id);
        continue;
      }
      if (s.owner === input.owner) own.push(s);
      if (s.address === input.address) fromAddress++;
    }
    // Checked and recorded without a pause (nothing awaited): concurrent sign-ins cannot both pass
    // the limits. The listeners are told afterwards, the expired sessions first.
    const replaced = own.length >= this.#limits.maxPerOwner ? own[0] : undefined;
    const outcome = this.#record(input, t, replaced, fromAddress);
    for (const s of expired) await this.#ended(s, 'expired');
    if (outcome instanceof SessionLimitError) throw outcome;
    if (replaced) await this.#ended(replaced, 'evicted');
    return outcome;
  }

  /** The new session (and the owner's oldest replaced), or why there is none. */
  #record(
    input: NewSession,
    t: number,
    replaced: Session | undefined,
    fromAddress: number,
  ): Session | SessionLimitError {
    // Replacing the owner's own oldest session adds none: only new ones count against the caps.
    if (replaced === undefined && fromAddress >= this.#limits.maxPerAddress) {
      return addressLimitError(fromAddress);
    }
    if (replaced === undefined && this.#sessions.size >= this.#limits.maxSessions) {
      return consoleLimitError(this.#sessions.size);
    }
    const session: Session = Object.freeze({
      id: newSessionId(),
      method: input.method,
      user: input.user,
      owner: input.owner,
      address: input.address,
      createdAt: t,
      expiresAt: input.expiresAt,
      iam: withCredentials(input.iam),
    });
    this.#sessions.set(session.id, session);
    if (replaced) {
      if (replaced.iam && session.iam) this.#succeed(replaced.id, session.id);
      this.#sessions.delete(replaced.id);
    }
    return session;
  }

  async get(id: string | undefined | null): Promise<Session | null> {
    if (!isSessionId(id)) return null;
    const s = this.#sessions.get(id);
    if (!s) return null;
    if (s.expiresAt <= this.now()) {
      this.#sessions.delete(s.id);
      await this.#ended(s, 'expired');
      return null;
    }
    return s;
  }

  async delete(id: string): Promise<void> {
    const s = this.#sessions.get(id);
    if (!s) return;
    this.#sessions.delete(id);
    await this.#ended(s, 'signed-out');
  }

  async renew(oldId: string, successor: Session): Promise<void> {
    const s = this.#sessions.get(oldId);
    if (!s) return;
    this.#succeed(oldId, successor.id);
    this.#sessions.delete(oldId);
    await this.#ended(s, 'renewed');
  }

  async forCalls(id: string): Promise<CallSession | null> {
    let current = id;
    for (let hops = 0; hops < 32; hops++) {
      const live = await this.get(current);
      if (live) return live;
      const next = this.#successors.get(current);
      if (next === undefined) return null;
      current = next;
    }
    return null;
  }

  storedKey(_id?: string): string | null {
    return null;
  }

  forCallsByKey(_key?: string): Promise<CallSession | null> {
    return Promise.resolve(null);
  }

  lastKnown(id: string): CallSession | null {
    const t = this.now();
    let current = id;
    for (let hops = 0; hops < 32; hops++) {
      const s = this.#sessions.get(current);
      if (s && s.expiresAt > t) return s;
      const next = this.#successors.get(current);
      if (next === undefined) return null;
      current = next;
    }
    return null;
  }

  count(): Promise<number> {
    const t = this.now();
    let n = 0;
    for (const s of this.#sessions.values()) if (s.expiresAt > t) n++;
    return Promise.resolve(n);
  }

  /** Calls made under `oldId` use `newId`'s token from now on (bounded: oldest links dropped). */
  #succeed(oldId: string, newId: string): void {
    this.#successors.set(oldId, newId);
    if (this.#successors.size > MAX_SESSIONS) {
      const oldest = this.#successors.keys().next().value;
      if (oldest !== undefined) this.#successors.delete(oldest);
    }
  }

  async #ended(s: Session, why: EndReason): Promise<void> {
    for (const l of this.#listeners) await l(s, why);
  }
}
