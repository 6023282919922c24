/**
 * Sessions in the ledger's database (SESSION_KEY set): every console that shares the database
 * shares the sessions. A sign-in on one console is valid on all, a sign-out on one ends the
 * session on all at their next request, and the limits (per owner, per address, in all) count the
 * sessions of every console. Sessions survive a restart.
 *
 * What the database holds (server/db/sessions.ts): the session ID only as its SHA-256 (the
 * cookie cannot be rebuilt from a read of the table), and the session's record with its IAM token
 * only sealed with SESSION_KEY (session-key.ts). A record sealed with a key this console does not
 * hold (SESSION_KEY_PREVIOUS opens the previous one during a rotation) is refused here, never a
 * crash: the request is answered as signed out, the operator is told once which key it needs, and
 * the row is left for the consoles that hold that key. A record that its own key cannot open
 * (altered or damaged) is ended for every console.
 *
 * Per request: one read by primary key of a few columns (is the session still live, did it end,
 * what follows it). Nothing is cached about whether a session is live, so a sign-out or eviction
 * on any console holds from the next request or call on every console. What is cached is what
 * never changes: a session's opened record (its token), per process, so each console opens a
 * session's record once.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CompiledQuery, SelectQueryBuilder } from 'kysely';
import { millis, rowsOf, type SessionDatabase, type SessionTables } from '../db/sessions';
import { Secret } from './secret';
import { keyById, type SessionKeys } from './session-key';
import {
  MAX_SESSIONS,
  addressLimitError,
  consoleLimitError,
  isSessionId,
  limitsOf,
  newSessionId,
  withCredentials,
  type CallSession,
  type EndListener,
  type EndReason,
  type NewSession,
  type Session,
  type SessionLimits,
  type SessionStore,
} from './sessions';

/**
 * How long an ended session's row is kept past its own expiry when it names a successor: the
 * calls of a batch started under it follow the link to the session that renewed it.
 */
export const SUCCESSOR_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** The sealed record: the authoritative copy of the row's plain columns, and the IAM token. */
const recordSchema = z.strictObject({
  v: z.literal(1),
  method: z.enum(['access-token', 'iam']),
  user: z.string(),
  owner: z.string(),
  address: z.string(),
  createdAt: z.number(),
  expiresAt: z.number(),
  iam: z
    .strictObject({
      token: z.string(),
      projectId: z.string(),
      region: z.string(),
      account: z.string().nullable(),
    })
    .nullable(),
});
type SealedRecord = z.infer<typeof recordSchema>;

const END_REASONS: readonly string[] = [
  'signed-out',
  'expired',
  'evicted',
  'renewed',
  'unreadable',
] satisfies EndReason[];

/** The SHA-256 of a session ID, as the database knows the session (base64url, 43 characters). */
export function sessionIdHash(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('base64url');
}

export interface SqlSessionStoreOptions {
  database: SessionDatabase;
  keys: SessionKeys;
  now?: () => number;
  limits?: SessionLimits;
  /** Where the operator is told about sessions this console cannot read (default console.warn). */
  log?: (message: string) => void;
}

/** What a row says of a session now. */
type Found =
  | { state: 'live'; session: CallSession }
  | { state: 'ended'; successor: string | null }
  | { state: 'gone' };

export class SqlSessionStore implements SessionStore {
  readonly shared = true;
  readonly #sdb: SessionDatabase;
  readonly #keys: SessionKeys;
  readonly #now: () => number;
  readonly #limits: Required<SessionLimits>;
  readonly #log: (message: string) => void;
  readonly #listeners: EndListener[] = [];
  /** Opened records by ID hash (they never change): each is opened once per process. */
  readonly #opened = new Map<string, CallSession>();
  /** Session ID → the session its calls used last (for `lastKnown`). */
  readonly #known = new Map<string, CallSession>();
  /** ID hashes of records this console cannot read whose operator message was given. */
  readonly #reported = new Set<string>();

  constructor(options: SqlSessionStoreOptions) {
    this.#sdb = options.database;
    this.#keys = options.keys;
    this.#now = options.now ?? Date.now;
    this.#limits = limitsOf(options.limits ?? {});
    this.#log = options.log ?? ((message) => console.warn(message));
  }

  onEnd(listener: EndListener): void {
    this.#listeners.push(listener);
  }

  async create(input: NewSession): Promise<Session> {
    const id = newSessionId();
    const idHash = sessionIdHash(id);
    const t = this.#now();
    const record: SealedRecord = {
      v: 1,
      method: input.method,
      user: input.user,
      owner: input.owner,
      address: input.address,
      createdAt: t,
      expiresAt: input.expiresAt,
      iam: input.iam
        ? {
            token: input.iam.token.reveal(),
            projectId: input.iam.projectId,
            region: input.iam.region,
            account: input.iam.account,
          }
        : null,
    };
    const key = this.#keys.current;
    const sealed = key.seal(idHash, JSON.stringify(record));
    const { q } = this.#sdb;
    const limits = this.#limits;
    const replaced = await this.#sdb.exclusive('sessions', function* () {
      // Expired sessions make room first (kept a while longer when a renewed batch follows them).
      yield* rowsOf(
        q
          .deleteFrom('sessions')
          .where('expires_at', '<=', t)
          .where((eb) =>
            eb.or([
              eb('successor_hash', 'is', null),
              eb('expires_at', '<=', t - SUCCESSOR_RETENTION_MS),
            ]),
          ),
      );
      const live = q
        .selectFrom('sessions')
        .where('ended_at', 'is', null)
        .where('expires_at', '>', t);
      const own = yield* rowsOf(
        live
          .select(['id_hash', 'method'])
          .where('owner', '=', input.owner)
          .orderBy('created_at')
          .orderBy('id_hash'),
      );
      const oldest = own.length >= limits.maxPerOwner ? own[0] : undefined;
      // Replacing the owner's own oldest session adds none: only new ones count against the caps.
      if (oldest === undefined) {
        const fromAddress = yield* countOf(live.where('address', '=', input.address));
        if (fromAddress >= limits.maxPerAddress) throw addressLimitError(fromAddress);
        const all = yield* countOf(live);
        if (all >= limits.maxSessions) throw consoleLimitError(all);
      }
      yield* rowsOf(
        q.insertInto('sessions').values({
          id_hash: idHash,
          method: input.method,
          user_name: input.user,
          owner: input.owner,
          address: input.address,
          created_at: t,
          expires_at: input.expiresAt,
          key_id: key.id,
          sealed,
        }),
      );
      if (oldest) {
        yield* rowsOf(
          q
            .updateTable('sessions')
            .set({
              ...endedColumns(t, 'evicted'),
              successor_hash: oldest.method === 'iam' && input.iam ? idHash : null,
            })
            .where('id_hash', '=', oldest.id_hash),
        );
      }
      return oldest?.id_hash ?? null;
    });
    const session: CallSession = Object.freeze({
      method: input.method,
      user: input.user,
      owner: input.owner,
      address: input.address,
      createdAt: t,
      expiresAt: input.expiresAt,
      iam: withCredentials(input.iam),
    });
    this.#remember(idHash, session);
    this.#known.set(id, session);
    // What this process held of the sessions that ended here: expired ones first, as in memory.
    for (const [hash, s] of [...this.#opened]) {
      if (s.expiresAt <= t) await this.#forget(hash, 'expired');
    }
    if (replaced !== null) await this.#forget(replaced, 'evicted');
    return Object.freeze({ ...session, id });
  }

  async get(id: string | undefined | null): Promise<Session | null> {
    if (!isSessionId(id)) return null;
    const found = await this.#find(sessionIdHash(id));
    if (found.state !== 'live') {
      this.#known.delete(id);
      return null;
    }
    this.#known.set(id, found.session);
    return Object.freeze({ ...found.session, id });
  }

  async delete(id: string): Promise<void> {
    if (!isSessionId(id)) return;
    await this.#end(id, 'signed-out', null);
  }

  async renew(oldId: string, successor: Session): Promise<void> {
    if (!isSessionId(oldId)) return;
    const next = await this.#end(oldId, 'renewed', sessionIdHash(successor.id));
    if (next) this.#known.set(oldId, successor);
  }

  async forCalls(id: string): Promise<CallSession | null> {
    if (!isSessionId(id)) return null;
    const session = await this.#follow(sessionIdHash(id));
    if (session === null) this.#known.delete(id);
    else this.#known.set(id, session);
    return session;
  }

  storedKey(id: string): string | null {
    return isSessionId(id) ? sessionIdHash(id) : null;
  }

  forCallsByKey(key: string): Promise<CallSession | null> {
    // The same shape as an ID (43 base64url characters), but never hashed again: it is the row's.
    return isSessionId(key) ? this.#follow(key) : Promise.resolve(null);
  }

  /** The live session at `hash` or, ended by a renewal or eviction, at its successor's. */
  async #follow(start: string): Promise<CallSession | null> {
    let hash = start;
    for (let hops = 0; hops < 32; hops++) {
      const found = await this.#find(hash);
      if (found.state === 'live') return found.session;
      if (found.state === 'gone' || found.successor === null) break;
      hash = found.successor;
    }
    return null;
  }

  lastKnown(id: string): CallSession | null {
    const s = this.#known.get(id);
    return s && s.expiresAt > this.#now() ? s : null;
  }

  async count(): Promise<number> {
    const [row] = await this.#sdb.run(
      countQuery(
        this.#sdb.q
          .selectFrom('sessions')
          .where('ended_at', 'is', null)
          .where('expires_at', '>', this.#now()),
      ),
    );
    return Number(row?.n ?? 0);
  }

  /** Ends a live session by its ID; true when this call ended it. */
  async #end(id: string, why: EndReason, successor: string | null): Promise<boolean> {
    const hash = sessionIdHash(id);
    const ended = await this.#sdb.run(
      this.#sdb.q
        .updateTable('sessions')
        .set({ ...endedColumns(this.#now(), why), successor_hash: successor })
        .where('id_hash', '=', hash)
        .where('ended_at', 'is', null)
        .returning('id_hash'),
    );
    this.#known.delete(id);
    if (ended.length === 0) {
      // Already ended (elsewhere): what this process held of it goes, with the recorded reason.
      await this.#find(hash);
      return false;
    }
    await this.#forget(hash, why);
    return true;
  }

  /** The session of an ID hash as the database has it now (its record opened once). */
  async #find(hash: string): Promise<Found> {
    const opened = this.#opened.get(hash);
    const t = this.#now();
    if (opened) {
      const [row] = await this.#sdb.run(
        this.#sdb.q
          .selectFrom('sessions')
          .select(['ended_at', 'end_reason', 'successor_hash'])
          .where('id_hash', '=', hash),
      );
      if (!row) {
        // Rows are only ever deleted once expired (by some console's clock).
        await this.#forget(hash, 'expired');
        return { state: 'gone' };
      }
      if (row.ended_at !== null) {
        await this.#forget(hash, endReason(row.end_reason));
        return { state: 'ended', successor: row.successor_hash };
      }
      if (opened.expiresAt <= t) {
        await this.#forget(hash, 'expired');
        return { state: 'ended', successor: null };
      }
      return { state: 'live', session: opened };
    }
    const [row] = await this.#sdb.run(
      this.#sdb.q.selectFrom('sessions').selectAll().where('id_hash', '=', hash),
    );
    if (!row) return { state: 'gone' };
    if (row.ended_at !== null) return { state: 'ended', successor: row.successor_hash };
    if (millis(row.expires_at) <= t) return { state: 'ended', successor: null };
    const session = await this.#open(row);
    if (session === null) return { state: 'ended', successor: null };
    this.#remember(hash, session);
    return { state: 'live', session };
  }

  /** A live row's record, opened and checked against its plain columns, or null (unreadable). */
  async #open(row: {
    id_hash: string;
    method: string;
    user_name: string;
    owner: string;
    address: string;
    created_at: number | string;
    expires_at: number | string;
    key_id: string | null;
    sealed: string | null;
  }): Promise<CallSession | null> {
    const key = row.key_id === null ? null : keyById(this.#keys, row.key_id);
    if (key === null) {
      this.#report(
        row.id_hash,
        `session of ${JSON.stringify(row.user_name)} refused on this console: it was sealed with session key ${row.key_id ?? '(none)'}, which is neither SESSION_KEY (${this.#keys.current.id}) nor SESSION_KEY_PREVIOUS${this.#keys.previous ? ` (${this.#keys.previous.id})` : ''}. Its user is asked to sign in again here; consoles that hold that key still accept it. Give every console the same SESSION_KEY (during a rotation, the old one as SESSION_KEY_PREVIOUS).`,
      );
      return null;
    }
    const plain = row.sealed === null ? null : key.open(row.id_hash, row.sealed);
    let record: SealedRecord | null = null;
    if (plain !== null) {
      try {
        record = recordSchema.parse(JSON.parse(plain));
      } catch {
        record = null;
      }
    }
    const matches =
      record !== null &&
      record.method === row.method &&
      record.user === row.user_name &&
      record.owner === row.owner &&
      record.address === row.address &&
      record.createdAt === millis(row.created_at) &&
      record.expiresAt === millis(row.expires_at);
    if (!record || !matches) {
      // Its own key cannot open it, or it does not say what its row says: no console can trust it.
      await this.#sdb.run(
        this.#sdb.q
          .updateTable('sessions')
          .set(endedColumns(this.#now(), 'unreadable'))
          .where('id_hash', '=', row.id_hash)
          .where('ended_at', 'is', null),
      );
      this.#report(
        row.id_hash,
        `session of ${JSON.stringify(row.user_name)} ended (unreadable): its sealed record does not open with session key ${key.id} or does not match its row (altered or damaged). Its user signs in again.`,
      );
      return null;
    }
    return Object.freeze({
      method: record.method,
      user: record.user,
      owner: record.owner,
      address: record.address,
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
      iam: withCredentials(
        record.iam ? { ...record.iam, token: new Secret(record.iam.token) } : null,
      ),
    });
  }

  #remember(hash: string, session: CallSession): void {
    this.#opened.set(hash, session);
    if (this.#opened.size > MAX_SESSIONS) {
      const oldest = this.#opened.keys().next().value;
      if (oldest !== undefined) this.#opened.delete(oldest);
    }
    if (this.#known.size > MAX_SESSIONS) {
      const oldest = this.#known.keys().next().value;
      if (oldest !== undefined) this.#known.delete(oldest);
    }
  }

  /** Drops what this process held of a session (its token) and tells the listeners, once. */
  async #forget(hash: string, why: EndReason): Promise<void> {
    const s = this.#opened.get(hash);
    if (!s) return;
    this.#opened.delete(hash);
    for (const l of this.#listeners) await l(s, why);
  }

  /** Tells the operator, once per session, why this console refuses it. */
  #report(hash: string, message: string): void {
    if (this.#reported.has(hash)) return;
    if (this.#reported.size >= MAX_SESSIONS) this.#reported.clear();
    this.#reported.add(hash);
    this.#log(message);
  }
}

function endedColumns(t: number, why: EndReason) {
  return { ended_at: t, end_reason: why, key_id: null, sealed: null };
}

function endReason(value: string | null): EndReason {
  return value !== null && END_REASONS.includes(value) ? (value as EndReason) : 'signed-out';
}

type SessionsQuery = SelectQueryBuilder<SessionTables, 'sessions', object>;

/** `select count(*) as n` of the query's rows. */
function countQuery(query: SessionsQuery) {
  return query.select((eb) => eb.fn.countAll().as('n'));
}

/** Inside an `exclusive` body: how many rows the query selects. */
function* countOf(query: SessionsQuery): Generator<CompiledQuery, number, unknown[]> {
  const [row] = yield* rowsOf(countQuery(query));
  return Number(row?.n ?? 0);
}
