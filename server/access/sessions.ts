/**
 * Console sessions, in memory only: a random 256-bit ID (the `sm_session` cookie) → who signed in,
 * how, until when, and (IAM sign-in) the IAM token. Nothing here is ever written to disk: a
 * restart signs everyone out, and batches that ran on a session's token wait for a new sign-in.
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
export type EndReason = 'signed-out' | 'expired' | 'evicted' | 'renewed';

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

export interface Session {
  readonly id: string;
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

export interface SessionLimits {
  /** Live sessions in all (default MAX_SESSIONS). */
  maxSessions?: number;
  /** Live sessions per owner (default MAX_SESSIONS_PER_OWNER). */
  maxPerOwner?: number;
  /** Live sessions opened from one address (default MAX_SESSIONS_PER_ADDRESS). */
  maxPerAddress?: number;
}

export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #listeners: ((s: Session, why: EndReason) => void)[] = [];
  /** Renewed sessions → their successor (for the calls of batches started before the renewal). */
  readonly #successors = new Map<string, string>();

  readonly #maxSessions: number;
  readonly #maxPerOwner: number;
  readonly #maxPerAddress: number;

  constructor(
    private readonly now: () => number = Date.now,
    limits: SessionLimits = {},
  ) {
    this.#maxSessions = limits.maxSessions ?? MAX_SESSIONS;
    this.#maxPerOwner = limits.maxPerOwner ?? MAX_SESSIONS_PER_OWNER;
    this.#maxPerAddress = limits.maxPerAddress ?? MAX_SESSIONS_PER_ADDRESS;
  }

  /** Called when a session ends (sign-out, expiry noticed, eviction). */
  onEnd(listener: (s: Session, why: EndReason) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * A new session for `input.owner`. When that owner already holds the most sessions allowed, its
   * own oldest one ends (`evicted`); an IAM session's work then continues with the new one's token
   * (as on renewal), since both are the same IAM user in the same project. When the whole console
   * is full, throws SessionLimitError and ends nobody's session.
   */
  create(input: {
    method: SignInMethod;
    user: string;
    owner: string;
    address: string;
    expiresAt: number;
    iam?: Omit<IamSessionData, 'credentials'> | null;
  }): Session {
    const t = this.now();
    const own: Session[] = [];
    let fromAddress = 0;
    for (const s of [...this.#sessions.values()]) {
      if (s.expiresAt <= t) {
        this.#end(s, 'expired');
        continue;
      }
      if (s.owner === input.owner) own.push(s);
      if (s.address === input.address) fromAddress++;
    }
    const replaced = own.length >= this.#maxPerOwner ? own[0] : undefined;
    // Replacing the owner's own oldest session adds none: only new ones count against the caps.
    if (replaced === undefined && fromAddress >= this.#maxPerAddress) {
      throw new SessionLimitError(
        `${fromAddress} sessions are open from your address, its limit: sign out of some, or wait until they expire`,
        'address',
      );
    }
    if (replaced === undefined && this.#sessions.size >= this.#maxSessions) {
      throw new SessionLimitError(
        `the console already has ${this.#sessions.size} open sessions, its limit: new sign-ins are refused until some end (sign-out or expiry); try again later`,
      );
    }
    const id = randomBytes(32).toString('base64url');
    const session: Session = Object.freeze({
      id,
      method: input.method,
      user: input.user,
      owner: input.owner,
      address: input.address,
      createdAt: t,
      expiresAt: input.expiresAt,
      iam: input.iam
        ? Object.freeze({
            ...input.iam,
            credentials: Credentials.token(input.iam.token.reveal(), 'iam-sign-in'),
          })
        : null,
    });
    this.#sessions.set(id, session);
    if (replaced) {
      if (replaced.iam && session.iam) this.#succeed(replaced.id, session.id);
      this.#end(replaced, 'evicted');
    }
    return session;
  }

  /** The live session with this ID, or null (expired sessions are forgotten here). */
  get(id: string | undefined | null): Session | null {
    if (!id || !SESSION_ID.test(id)) return null;
    const s = this.#sessions.get(id);
    if (!s) return null;
    if (s.expiresAt <= this.now()) {
      this.#end(s, 'expired');
      return null;
    }
    return s;
  }

  /** Forgets the session and its token. */
  delete(id: string): void {
    const s = this.#sessions.get(id);
    if (s) this.#end(s, 'signed-out');
  }

  /**
   * The same user signed in again: the old session (and its cookie) ends, and work started under
   * it continues with the new one's token (`forCalls`).
   */
  renew(oldId: string, successor: Session): void {
    const s = this.#sessions.get(oldId);
    if (!s) return;
    this.#succeed(oldId, successor.id);
    this.#end(s, 'renewed');
  }

  /** The session whose token a call started under `id` uses now (following renewals). */
  forCalls(id: string): Session | null {
    let current = id;
    for (let hops = 0; hops < 32; hops++) {
      const live = this.get(current);
      if (live) return live;
      const next = this.#successors.get(current);
      if (next === undefined) return null;
      current = next;
    }
    return null;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Calls made under `oldId` use `newId`'s token from now on (bounded: oldest links dropped). */
  #succeed(oldId: string, newId: string): void {
    this.#successors.set(oldId, newId);
    if (this.#successors.size > MAX_SESSIONS) {
      const oldest = this.#successors.keys().next().value;
      if (oldest !== undefined) this.#successors.delete(oldest);
    }
  }

  #end(s: Session, why: EndReason): void {
    this.#sessions.delete(s.id);
    for (const l of this.#listeners) l(s, why);
  }
}
