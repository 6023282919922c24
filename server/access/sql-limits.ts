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
import type { CompiledQuery } from 'kysely';
import { millis, rowsOf, type SessionDatabase } from '../db/sessions';
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

  async blockedForMs(key: string): Promise<number> {
    const t = this.now();
    const [row] = await this.sdb.run(this.#recent(key, t));
    return this.#wait(row, t);
  }

  async take(key: string): Promise<Slot | number> {
    const slot = randomUUID();
    const { q } = this.sdb;
    const name = this.name;
    const windowMs = this.windowMs;
    const recent = (t: number) => this.#recent(key, t);
    const wait = (row: Recent | undefined, t: number) => this.#wait(row, t);
    const t = this.now();
    const blocked = await this.sdb.exclusive(
      `sign-in-limit\n${name}\n${key}`,
      function* (): Generator<CompiledQuery, number, unknown[]> {
        yield* rowsOf(
          q
            .deleteFrom('sign_in_attempts')
            .where('limiter', '=', name)
            .where('at', '<=', t - windowMs),
        );
        const [row] = yield* rowsOf(recent(t));
        const ms = wait(row, t);
        if (ms > 0) return ms;
        yield* rowsOf(q.insertInto('sign_in_attempts').values({ slot, limiter: name, key, at: t }));
        return 0;
      },
    );
    if (blocked > 0) return blocked;
    let released: Promise<void> | undefined;
    return {
      release: () => {
        released ??= this.sdb
          .run(q.deleteFrom('sign_in_attempts').where('slot', '=', slot))
          .then(() => undefined);
        return released;
      },
    };
  }

  async fail(key: string): Promise<void> {
    await this.take(key);
  }

  /** The count of `key`'s attempts within the window at `t`, and the oldest of them. */
  #recent(key: string, t: number) {
    return this.sdb.q
      .selectFrom('sign_in_attempts')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.min('at').as('first')])
      .where('limiter', '=', this.name)
      .where('key', '=', key)
      .where('at', '>', t - this.windowMs);
  }

  /** Milliseconds until a slot is free at `t` (0: now), from `#recent`'s row. */
  #wait(row: Recent | undefined, t: number): number {
    const n = Number(row?.n ?? 0);
    if (n < this.max || row?.first === null || row?.first === undefined) return 0;
    return Math.max(1, millis(row.first) + this.windowMs - t);
  }
}

interface Recent {
  n: string | number | bigint;
  first: string | number | null;
}
