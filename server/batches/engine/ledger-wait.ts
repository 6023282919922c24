/**
 * Waiting for the ledger while it cannot be written for now (a full disk, another process's write
 * lock held longer than busy_timeout): a pause that doubles up to a maximum between tries of a
 * small write, until one passes, the waiter is stopped, or the write fails for another reason.
 * One loop for a batch (which then continues by itself) and for start-up recovery (which then
 * resumes the batches), so both wait and give up the same way.
 */
import type { WriteProblem } from '../storage-health';

/** First pause of a batch waiting for the ledger (a full disk, another process's write lock). */
export const LEDGER_WAIT_MS = 500;
/** The pause doubles up to this: the batch continues at most this long after writes pass again. */
export const LEDGER_WAIT_MAX_MS = 5_000;

/** The state reason of a batch waiting for the ledger (written when the ledger takes it). */
export function ledgerWaitReason(problem: string): string {
  return `waiting: ${problem}; nothing is sent meanwhile; the batch continues by itself`;
}

/** The batch's entry in the ledger's health while it waits for the ledger. */
export function batchHealthSource(batchId: string): string {
  return `batch ${batchId}`;
}

/** The pause after `pauses` earlier ones: `firstMs` doubling, at most `maxMs`. */
export function ledgerPauseMs(firstMs: number, maxMs: number, pauses: number): number {
  return Math.min(firstMs * 2 ** pauses, maxMs);
}

/** A try of the write: null when it passed, the problem while it lasts, or give up for good. */
export type LedgerTry = WriteProblem | null | 'give up';

export interface LedgerWait {
  firstMs: number;
  maxMs: number;
  /** Pauses already made by this waiter: the doubling goes on from there. */
  pauses: number;
  sleep(ms: number): Promise<void>;
  /** Before each pause, with the problem that is still there and the pauses made so far. */
  blocked(problem: WriteProblem, pauses: number): void;
  /** Asked after each pause: true ends the wait (pause, stop, shutdown). */
  stopped(): boolean | Promise<boolean>;
  /** One try of the write, after a pause, knowing the problem met last. */
  retry(problem: WriteProblem): LedgerTry | Promise<LedgerTry>;
}

/**
 * Waits from `problem` until a try passes (`passed`), or the waiter stops or gives up. `pauses` is
 * the count of pauses made, for a waiter whose next wait should go on doubling.
 */
export async function waitForLedger(
  problem: WriteProblem,
  w: LedgerWait,
): Promise<{ passed: boolean; pauses: number }> {
  let pauses = w.pauses;
  let last: LedgerTry = problem;
  while (last !== null) {
    if (last === 'give up') return { passed: false, pauses };
    w.blocked(last, pauses);
    await w.sleep(ledgerPauseMs(w.firstMs, w.maxMs, pauses));
    pauses++;
    if (await w.stopped()) return { passed: false, pauses };
    last = await w.retry(last);
  }
  return { passed: true, pauses };
}
