/**
 * What a failed query of the ledger on PostgreSQL means, in the terms of a failed write of the
 * SQLite ledger (batches/storage-health.ts, `WriteProblem`): the database cannot be reached (a
 * network cut, PostgreSQL restarting or failing over, a pool that cannot get a connection), is out
 * of room, or refused the transaction for a moment (a serialization failure, a deadlock, the
 * statement timeout). Each of these passes by itself: a batch waits for it and continues (the
 * runner's ledger wait), a request answers 503 "try again" with nothing recorded. Any other error
 * (a constraint, a bug) is not the storage's: null.
 */
import type { WriteProblem } from '../batches/storage-health';

/** Errors of the connection itself (Node's socket errors), not of a statement. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** pg's own errors for a connection lost or never made, which carry no code. */
const NETWORK_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Connection ended unexpectedly',
  // query_timeout (db/postgres.ts): the server did not answer in time (a network cut).
  'Query read timeout',
];

/** The error's code: PostgreSQL's SQLSTATE, or a Node system error's (ECONNREFUSED...). */
export function codeOf(err: unknown): string | null {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
  return null;
}

/**
 * What `err`, thrown by a query of the ledger at `where` (`PostgreSQL host:port/db`, never the
 * URL's password), means; null when it is not the database's availability.
 */
export function pgWriteProblem(err: unknown, where: string): WriteProblem | null {
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : '';
  const unreachable = (why: string): WriteProblem => ({
    kind: 'unreachable',
    reason: `the ledger database (${where}) cannot be used: ${why}; nothing can be recorded until it answers again`,
    transient: true,
  });
  if (code !== null && NETWORK_CODES.has(code)) return unreachable(`it does not answer (${code})`);
  if (code === null) {
    return NETWORK_MESSAGES.some((m) => message.includes(m))
      ? unreachable('the connection to it was lost')
      : null;
  }
  // SQLSTATE classes (PostgreSQL's appendix A).
  if (code.startsWith('08')) return unreachable(`connection error ${code}`);
  if (code === '57P01' || code === '57P02' || code === '57P03') {
    return unreachable(`it is shutting down or starting (${code})`);
  }
  if (code === '53300') return unreachable('it has no connection left (too many connections)');
  // A standby promoted or not yet (a failover): it takes no writes for now.
  if (code === '25006') return unreachable('it is read-only for now (a failover?)');
  if (code === '53100') {
    return {
      kind: 'full',
      reason: `the disk of the ledger database (${where}) is full: the ledger cannot be written`,
      transient: true,
    };
  }
  if (code === '53200') return unreachable('it is out of memory');
  // Serialization failure, deadlock, lock not available, the statement timeout: another
  // transaction held what this one needed; trying again passes.
  if (code === '40001' || code === '40P01' || code === '55P03' || code === '57014') {
    return {
      kind: 'busy',
      reason: `the ledger database (${where}) refused a transaction for now (${code}): it is retried`,
      transient: true,
    };
  }
  return null;
}
