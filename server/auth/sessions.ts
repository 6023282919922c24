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
/** At most this many live sessions; the oldest is dropped beyond it. */
export const MAX_SESSIONS = 10_000;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export type SignInMethod = 'access-token' | 'iam';
export type EndReason = 'signed-out' | 'expired' | 'evicted' | 'renewed';

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
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly iam: IamSessionData | null;
}

export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #listeners: ((s: Session, why: EndReason) => void)[] = [];
  /** Renewed sessions → their successor (for the calls of batches started before the renewal). */
  readonly #successors = new Map<string, string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Called when a session ends (sign-out, expiry noticed, eviction). */
  onEnd(listener: (s: Session, why: EndReason) => void): void {
    this.#listeners.push(listener);
  }

  create(input: {
    method: SignInMethod;
    user: string;
    expiresAt: number;
    iam?: Omit<IamSessionData, 'credentials'> | null;
  }): Session {
    while (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = this.#sessions.values().next().value;
      if (!oldest) break;
      this.#end(oldest, 'evicted');
    }
    const id = randomBytes(32).toString('base64url');
    const session: Session = Object.freeze({
      id,
      method: input.method,
      user: input.user,
      createdAt: this.now(),
      expiresAt: input.expiresAt,
      iam: input.iam
        ? Object.freeze({
            ...input.iam,
            credentials: Credentials.token(input.iam.token.reveal(), 'iam-sign-in'),
          })
        : null,
    });
    this.#sessions.set(id, session);
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
    this.#successors.set(oldId, successor.id);
    if (this.#successors.size > MAX_SESSIONS) {
      const oldest = this.#successors.keys().next().value;
      if (oldest !== undefined) this.#successors.delete(oldest);
    }
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

  #end(s: Session, why: EndReason): void {
    this.#sessions.delete(s.id);
    for (const l of this.#listeners) l(s, why);
  }
}
