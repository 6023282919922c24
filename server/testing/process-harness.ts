/**
 * Drives the real console server as a child process (`node --import tsx server/main.ts`, embedded
 * emulator, loopback, free ports) for the kill test (F1), the DATA_DIR lock and full-disk tests and
 * `npm run soak`: start, post a batch, SIGKILL, restart, wait, then check I1–I7 against the two
 * SQLite files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SEED_WORKSPACES, linksInFile, openEmulatorDb, seedObjectIds } from 'secmaster-emulator';
import { z } from 'zod';
import { batchSummarySchema, idKey, type BatchSummary } from '../../src/api/schemas';
import { checkInvariants, type CheckReport } from './checker';
import { openLedger } from '../batches/ledger';

const ROOT = join(import.meta.dirname, '..', '..');
const HEADERS = { 'Content-Type': 'application/json', 'X-Requested-With': 'soak' };

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<string>;
}

export async function startServer(
  env: Record<string, string>,
  opts: {
    startTimeoutMs?: number;
    /** Node options before the entry point, e.g. another `--import` (clock-skew.ts). */
    nodeArgs?: readonly string[];
  } = {},
): Promise<ServerProcess> {
  const args = ['--import', 'tsx', ...(opts.nodeArgs ?? []), 'server/main.ts'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', EMULATOR_PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start:\n${out}`)),
      opts.startTimeoutMs ?? 60_000,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /association console on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${how}) before listening:\n${out}`));
    });
  });
  return { url, child, output: () => out, exited };
}

export async function postBatch(url: string, body: Record<string, unknown>): Promise<BatchSummary> {
  const res = await fetch(`${url}/api/batches`, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST /api/batches: ${res.status} ${await res.text()}`);
  return batchSummarySchema.parse(await res.json());
}

export async function getBatch(url: string, id: string): Promise<BatchSummary> {
  const res = await fetch(`${url}/api/batches/${id}`);
  return batchSummarySchema.parse(await res.json());
}

/** Polls until `done(batch)` (no fixed sleeps: a short poll interval, bounded by a deadline). */
export async function pollBatch(
  url: string,
  id: string,
  done: (b: BatchSummary) => boolean,
  timeoutMs: number,
): Promise<BatchSummary> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b = await getBatch(url, id);
    if (done(b)) return b;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for batch ${id}: ${JSON.stringify(b)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `GET /api/health`: the HTTP status and the body's status and reason. */
export async function health(
  url: string,
): Promise<{ code: number; status: string; reason: string | null }> {
  const res = await fetch(`${url}/api/health`);
  const body = healthSchema.parse(await res.json());
  return { code: res.status, status: body.status, reason: body.reason ?? null };
}

const healthSchema = z.object({ status: z.string(), reason: z.string().optional() });

/** Polls /api/health until `done` (short interval, bounded by a deadline). */
export async function pollHealth(
  url: string,
  done: (h: Awaited<ReturnType<typeof health>>) => boolean,
  timeoutMs: number,
): Promise<Awaited<ReturnType<typeof health>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await health(url);
    if (done(h)) return h;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting on /api/health: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Every row of every table of the ledger in DATA_DIR, as one string, read through a read-only
 * connection (no write, whoever holds the file): compare two of them to tell that nothing changed.
 * `ignore` drops columns that a live server rewrites on its own (`table.column`).
 */
export function ledgerDump(dataDir: string, ignore: readonly string[] = []): string {
  const db = new Database(join(dataDir, 'ledger.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const tables = z
      .array(z.object({ name: z.string() }))
      .parse(
        db
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
          )
          .all(),
      );
    const out: Record<string, string[]> = {};
    for (const { name } of tables) {
      out[name] = db
        .prepare(`SELECT * FROM "${name}"`)
        .all()
        .map((row) =>
          JSON.stringify(
            Object.entries(z.record(z.string(), z.unknown()).parse(row)).filter(
              ([column]) => !ignore.includes(`${name}.${column}`),
            ),
          ),
        )
        .sort();
    }
    return JSON.stringify(out);
  } finally {
    db.close();
  }
}

export async function kill9(p: ServerProcess): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

export async function stopServer(p: ServerProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  await p.exited;
}

export interface LedgerFigures {
  calls: number;
  retries: number;
  attempts: number;
  confirmedByReread: number;
  unknownAfterRestart: number;
  counts: BatchSummary['counts'];
  state: string;
}

/** Checks I1–I5 and I7's final form against the files left by the server (after it stopped). */
export function checkFiles(
  dataDir: string,
  batchId: string,
  inputIds: readonly string[],
  linkedBefore?: ReadonlySet<string>,
): { report: CheckReport; figures: LedgerFigures } {
  const ledger = openLedger(join(dataDir, 'ledger.sqlite'));
  const emulatorDb = openEmulatorDb(join(dataDir, 'emulator.sqlite'), { readonly: true });
  try {
    const report = checkInvariants({ ledger, batchId, inputIds, emulatorDb, linkedBefore });
    const one = (sql: string) =>
      (ledger.db.prepare(sql).get(batchId) as { n: number | null }).n ?? 0;
    const b = ledger.getBatch(batchId);
    if (!b) throw new Error('batch missing');
    const figures: LedgerFigures = {
      calls: one('SELECT COUNT(*) AS n FROM calls WHERE batch_id = ?'),
      retries: one('SELECT COUNT(*) AS n FROM calls WHERE batch_id = ? AND attempt > 1'),
      attempts: one('SELECT SUM(attempts) AS n FROM items WHERE batch_id = ?'),
      confirmedByReread: one(
        "SELECT COUNT(*) AS n FROM items WHERE batch_id = ? AND message = 'confirmed by re-read'",
      ),
      unknownAfterRestart: one(
        "SELECT COUNT(*) AS n FROM calls WHERE batch_id = ? AND state = 'unknown'",
      ),
      counts: b.counts,
      state: b.state,
    };
    return { report, figures };
  } finally {
    ledger.close();
    emulatorDb.close();
  }
}

/** The alerts linked to incident `subject` of the first seeded workspace, read from the emulator's file. */
export function emulatorLinks(dataDir: string, subject: string): Set<string> {
  const linked = linksInFile(join(dataDir, 'emulator.sqlite'), {
    workspaceId: SEED_WORKSPACES[0].id,
    dataclass: 'incidents',
    objectId: subject,
    related: 'alerts',
  });
  return new Set(linked.map(idKey));
}

/** An associate batch of `ids` with the `subjectIndex`-th seeded incident of the first workspace. */
export function seededBatch(ids: readonly string[], subjectIndex: number) {
  return {
    action: 'associate',
    workspace_id: SEED_WORKSPACES[0].id,
    dataclass_type: 'incidents',
    data_object_id: seedObjectIds(0, 'incidents', 40)[subjectIndex],
    related_dataclass_type: 'alerts',
    ids,
  };
}

/** `POST /api/batches/:id/{pause,resume,stop}`: the status and the batch as answered. */
export async function controlBatch(
  url: string,
  id: string,
  control: 'pause' | 'resume' | 'stop',
): Promise<{ status: number; batch: BatchSummary | null }> {
  const res = await fetch(`${url}/api/batches/${id}/${control}`, {
    method: 'POST',
    headers: { 'X-Requested-With': 'soak' },
  });
  const body: unknown = await res.json();
  return { status: res.status, batch: res.ok ? batchSummarySchema.parse(body) : null };
}

/** `GET path` on a console: its status and its body's text (to compare consoles' answers). */
export async function getText(
  url: string,
  path: string,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, text: await res.text() };
}

/** Waits (short polls, bounded by a deadline) until the server has printed a line matching `pattern`. */
export async function pollOutput(
  p: ServerProcess,
  pattern: RegExp,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(p.output())) {
    if (Date.now() > deadline) throw new Error(`no ${String(pattern)} in:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls `probe` (short interval) until it returns a value other than undefined, or throws at the deadline. */
export async function pollUntil<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
