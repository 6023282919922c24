/**
 * A real PostgreSQL for tests, benches and the soak: a new cluster in a temporary directory, on a
 * free loopback port, stopped and removed by `stop()`. The server programs come from
 * scripts/find-postgres.mjs (PG_BIN, or Debian's /usr/lib/postgresql/<version>/bin; `npm test`
 * installs Debian's package where missing, this module only looks). `initdb` refuses to run as
 * root: as root, the cluster belongs to the `postgres` user and its programs run as that user
 * (runuser).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const FIND_POSTGRES = join(import.meta.dirname, '../../scripts/find-postgres.mjs');
/** A port found free can be taken by another process before the server binds it: tries again. */
const START_ATTEMPTS = 3;

export interface PgCluster {
  /** `postgres://app@127.0.0.1:PORT/postgres`: the cluster's superuser `app`, no password. */
  readonly url: string;
  readonly port: number;
  /** A URL for database `name` of this cluster. */
  urlOf(name: string): string;
  /** Creates a new empty database with a random name; returns its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /**
   * Stops the server (immediately: nothing to keep) and removes its directory. Synchronous, so
   * that it can run in a process's `exit` handler; a second call does nothing.
   */
  stop(): void;
  /**
   * The same without blocking the event loop (vitest's global teardown): a run's test databases
   * make the directory large (150 databases: 1.6 GB), and removing it synchronously held the
   * process for about a minute, in which vitest could not read its last worker's answer to "stop"
   * ("Timeout terminating forks worker"). A second call, or `stop` after it, does nothing.
   */
  stopAsync(): Promise<void>;
}

function postgresBin(): string {
  const r = spawnSync(process.execPath, [FIND_POSTGRES, '--no-install'], { encoding: 'utf8' });
  const bin = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || bin === '') {
    throw new Error(
      "PostgreSQL's server programs (initdb, pg_ctl) were not found: install Debian's postgresql " +
        '(npm test does so where apt-get can run) or set PG_BIN to the directory holding them.',
    );
  }
  return bin;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Clusters left by runs that ended without stopping them (killed, or interrupted before their
 * teardown): each cluster's directory names the process that started it (`owner`); one whose
 * owner is gone is stopped and removed. Clusters of runs still going are left alone.
 */
function sweepLeftovers(run: (program: string, args: string[]) => void): void {
  const root = tmpdir();
  for (const name of readdirSync(root)) {
    if (!name.startsWith('pg-')) continue;
    const dir = join(root, name);
    const ownerFile = join(dir, 'owner');
    try {
      if (!existsSync(ownerFile)) continue;
      const owner = Number(readFileSync(ownerFile, 'utf8'));
      if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) continue;
      if (existsSync(join(dir, 'data', 'postmaster.pid'))) {
        try {
          run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
        } catch {
          // Not running: only the directory is left.
        }
      }
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Another run sweeping at the same time, or not ours to remove: leave it.
    }
  }
}

/**
 * Starts a new cluster. `durable: false` (tests) turns fsync off: much faster, and a test's data
 * need not survive a power cut. Benches keep it on, as a real deployment would. On failure nothing
 * is left behind (no directory, no server).
 */
export async function startPostgres(opts: { durable?: boolean } = {}): Promise<PgCluster> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const run = (program: string, args: string[]) => {
    const cmd = asRoot ? 'runuser' : join(bin, program);
    const full = asRoot ? ['-u', 'postgres', '--', join(bin, program), ...args] : args;
    execFileSync(cmd, full, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  sweepLeftovers(run);
  writeFileSync(join(dir, 'owner'), String(process.pid));
  let running = false;
  const stop = () => {
    try {
      if (running) run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      running = false;
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const stopAsync = async () => {
    const exec = promisify(execFile);
    try {
      if (running) {
        const args = ['-D', data, '-m', 'immediate', '-w', 'stop'];
        if (asRoot) await exec('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args]);
        else await exec(join(bin, 'pg_ctl'), args);
      }
    } finally {
      running = false;
      await rm(dir, { recursive: true, force: true });
    }
  };
  try {
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    run('initdb', [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'app',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    let port = 0;
    for (let attempt = 1; !running; attempt++) {
      port = await freePort();
      const settings = [
        `-p ${String(port)}`,
        `-k ${dir}`,
        '-c listen_addresses=127.0.0.1',
        '-c max_connections=200',
        ...(opts.durable === false
          ? ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']
          : []),
      ].join(' ');
      try {
        run('pg_ctl', ['-D', data, '-o', settings, '-l', join(dir, 'log'), '-w', 'start']);
        running = true;
      } catch (error) {
        if (attempt >= START_ATTEMPTS) throw error;
      }
    }
    const urlOf = (name: string) => `postgres://app@127.0.0.1:${String(port)}/${name}`;
    let stopped = false;
    return {
      url: urlOf('postgres'),
      port,
      urlOf,
      async createDatabase(prefix = 't') {
        const name = `${prefix}_${randomBytes(6).toString('hex')}`;
        const client = new pg.Client({ connectionString: urlOf('postgres') });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${name}`);
        } finally {
          await client.end();
        }
        return urlOf(name);
      },
      stop() {
        if (stopped) return;
        stopped = true;
        stop();
      },
      async stopAsync() {
        if (stopped) return;
        stopped = true;
        await stopAsync();
      },
    };
  } catch (error) {
    stop();
    throw error;
  }
}
