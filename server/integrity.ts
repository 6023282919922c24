/**
 * The start-up check of the console's SQLite files (the batch ledger and, in emulator mode, the
 * emulator's store): a damaged file stops the start with a message that names the file, what SQLite
 * found and what to do, instead of a server that answers 500 on every history read, or a bare
 * "database disk image is malformed". The check opens the file read-only: it never writes to it,
 * let alone "repairs" it.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';

export type DatabaseKind = 'ledger' | 'emulator';

/** Lines of `PRAGMA quick_check` shown at most (it stops after this many problems). */
const MAX_FINDINGS = 10;

/** A SQLite error that means the file's content is damaged or is not a SQLite database at all. */
export function isDamageError(error: unknown): boolean {
  if (!(error instanceof Database.SqliteError)) return false;
  return error.code.startsWith('SQLITE_CORRUPT') || error.code.startsWith('SQLITE_NOTADB');
}

/** `text` as one shell word (POSIX single quotes). */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** `2026-12-05T063012Z`: a name suffix that sorts by time and needs no quoting. */
function stamp(now: Date): string {
  return now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '')
    .replaceAll('-', '');
}

/**
 * The operator's message: the file, what was found, and the two ways on (restore a backup, or move
 * the file — with its `-wal`/`-shm` companions, which belong to it — aside and start empty).
 */
export function damagedMessage(
  file: string,
  kind: DatabaseKind,
  findings: readonly string[],
  now = new Date(),
): string {
  const what = kind === 'ledger' ? 'The batch ledger' : "The embedded emulator's store";
  const aside = `${file}.damaged-${stamp(now)}`;
  const companions = ['-wal', '-shm'].filter((suffix) => existsSync(file + suffix));
  const moves = [
    `mv ${shellWord(file)} ${shellWord(aside)}`,
    ...companions.map((suffix) => `mv ${shellWord(file + suffix)} ${shellWord(aside + suffix)}`),
  ];
  const lost =
    kind === 'ledger'
      ? [
          'The console then starts with an empty ledger: it no longer knows the earlier batches',
          '(history, the outcome of each ID, export, undo and retry) nor the Idempotency-Keys;',
          'batches that were running are not resumed. The links already made in SecMaster stay.',
          'Keep the moved file: this copies the rows SQLite can still read into a new file',
          `(docs/operations.md, "A damaged ledger"): sqlite3 ${shellWord(aside)} .dump | sqlite3 ${shellWord(`${file}.recovered`)}`,
        ]
      : [
          'The emulator then seeds a new store at the next start (EMULATOR_SEED): the links and',
          'changes that batches made in the emulator are gone, so the history in the ledger no longer',
          'matches what the emulator shows. The ledger itself is not touched.',
        ];
  const shown = findings.slice(0, MAX_FINDINGS);
  return [
    `${what} ${file} is damaged: the console did not start.`,
    'SQLite found (PRAGMA quick_check, or the error on opening the file):',
    ...shown.map((line) => `  ${line}`),
    ...(findings.length > shown.length ? [`  (and ${findings.length - shown.length} more)`] : []),
    'Nothing was written to the file. Stop the service if it restarts by itself, then either:',
    `  - restore ${basename(file)} from a backup, then start the console again${
      companions.length > 0
        ? ` (first move ${companions.map((s) => basename(file) + s).join(' and ')} aside as below: they belong to the damaged file)`
        : ''
    }; or`,
    `  - move it aside, then start the console again:`,
    ...moves.map((line) => `      ${line}`),
    ...lost.map((line) => `    ${line}`),
  ].join('\n');
}

/** A damaged SQLite file found at start; its message is meant for the operator as is. */
export class DamagedDatabaseError extends Error {
  readonly file: string;
  readonly kind: DatabaseKind;
  readonly findings: readonly string[];
  constructor(file: string, kind: DatabaseKind, findings: readonly string[]) {
    const absolute = resolve(file);
    super(damagedMessage(absolute, kind, findings));
    this.name = 'DamagedDatabaseError';
    this.file = absolute;
    this.kind = kind;
    this.findings = findings;
  }
}

/**
 * `error` as a DamagedDatabaseError naming `file` when it says the file is damaged (thrown while
 * opening it), else `error` unchanged.
 */
export function damagedOnOpen(error: unknown, file: string, kind: DatabaseKind): unknown {
  if (error instanceof DamagedDatabaseError || !isDamageError(error)) return error;
  return new DamagedDatabaseError(file, kind, [error instanceof Error ? error.message : '']);
}

/**
 * Throws DamagedDatabaseError when `file` exists and SQLite finds it damaged: `PRAGMA quick_check`
 * on a read-only connection (every page of every table and index is read: 0.09 s for a ledger of
 * 100,000 items in the page cache, 0.6-0.7 s from disk; docs/operations.md). A missing file is
 * fine: it is created empty. Other errors (permissions...) are thrown as they are.
 */
export function checkDatabaseFile(file: string, kind: DatabaseKind): void {
  if (file === ':memory:' || !existsSync(file)) return;
  let db: Database.Database | null = null;
  let findings: string[];
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const rows: unknown = db.pragma(`quick_check(${MAX_FINDINGS})`, { simple: false });
    findings = (Array.isArray(rows) ? rows : [])
      .flatMap((row: unknown) =>
        typeof row === 'object' && row !== null && 'quick_check' in row
          ? String(row.quick_check).split('\n')
          : [],
      )
      .filter((line) => line !== '' && line !== '*** in database main ***');
  } catch (error) {
    throw damagedOnOpen(error, file, kind);
  } finally {
    db?.close();
  }
  if (findings.length === 1 && findings[0] === 'ok') return;
  throw new DamagedDatabaseError(file, kind, findings.length > 0 ? findings : ['(no detail)']);
}
