/**
 * The sign-in limits in the shared database (SESSION_KEY set): every console on it counts each
 * client address's failed credentials and sign-ins against the same limits, so an attacker gains
 * nothing by spreading guesses over the consoles behind a load balancer.
 *
 * One row per counted attempt (`sign_in_attempts`), so the window slides exactly as the in-memory
 * limiter's does and a slot given back is its own row. Checking and counting are one step: the
 * count and the insert run in one transaction that excludes every other take of the same limit
 * and address on every console (server/db/sessions.ts `exclusive`). Rows older than the window are
 * deleted as new ones are counted.
 */
import { randomUUID } from 'node:crypto';
import { exclusive, millis, type SessionDatabase, type SessionTables } from '../db/sessions';
import type { Kysely } from 'kysely';
import type { AttemptLimiter, Slot } from './rate-limit';

export class SqlAttemptLimiter implements AttemptLimiter {
  constructor(
    private readonly sdb: SessionDatabase,
    /** Which limit (`failures`, `sign-ins`): each has its own counts. */
    readonly name: string,
    readonly max: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  blockedForMs(key: string): Promise<number> {
    return this.#wait(this.sdb.db, key, this.now());
  }

  async take(key: string): Promise<Slot | number> {
    const slot = randomUUID();
    const outcome = await exclusive(
      this.sdb,
      `sign-in-limit\n${this.name}\n${key}`,
      async (trx) => {
        const t = this.now();
        await trx
          .deleteFrom('sign_in_attempts')
          .where('limiter', '=', this.name)
          .where('at', '<=', t - this.windowMs)
          .execute();
        const wait = await this.#wait(trx, key, t);
        if (wait > 0) return wait;
        await trx
          .insertInto('sign_in_attempts')
          .values({ slot, limiter: this.name, key, at: t })
          .execute();
        return null;
      },
    );
    if (outcome !== null) return outcome;
    let released: Promise<void> | null = null;
    return {
      release: () => {
        released ??= this.sdb.db
          .deleteFrom('sign_in_attempts')
          .where('slot', '=', slot)
          .execute()
          .then(() => undefined);
        return released;
      },
    };
  }

  async fail(key: string): Promise<void> {
    await this.take(key);
  }

  /** Milliseconds until `key` may take a slot at `t` (0: now). */
  async #wait(db: Kysely<SessionTables>, key: string, t: number): Promise<number> {
    const row = await db
      .selectFrom('sign_in_attempts')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.min('at').as('first')])
      .where('limiter', '=', this.name)
      .where('key', '=', key)
      .where('at', '>', t - this.windowMs)
      .executeTakeFirst();
    const n = Number(row?.n ?? 0);
    if (n < this.max || row?.first === null || row?.first === undefined) return 0;
    return Math.max(1, millis(row.first) + this.windowMs - t);
  }
}
