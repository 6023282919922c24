/**
 * A real PostgreSQL for tests, benches and the soak: a new cluster in a temporary directory, on a
 * free loopback port, stopped and removed by `stop()`. The server programs come from
 * scripts/find-postgres.mjs (PG_BIN, Debian's /usr/lib/postgresql/<version>/bin, or installed with
 * apt-get where missing). `initdb` refuses to run as root: as root, the cluster belongs to the
 * `postgres` user and its programs run as that user (runuser).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const FIND_POSTGRES = join(import.meta.dirname, '../../scripts/find-postgres.mjs');

export interface PgCluster {
  /** `postgres://app@127.0.0.1:PORT/postgres`: the cluster's superuser `app`, no password. */
  readonly url: string;
  readonly port: number;
  /** A URL for database `name` of this cluster. */
  urlOf(name: string): string;
  /** Creates a new empty database with a random name; returns its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the server (immediately: nothing to keep) and removes its directory. */
  stop(): Promise<void>;
}

function postgresBin(): string {
  const r = spawnSync(process.execPath, [FIND_POSTGRES], { encoding: 'utf8' });
  const bin = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || bin === '') {
    throw new Error(
      `PostgreSQL's server programs were not found and could not be installed: ${r.stderr.trim()}`,
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

/**
 * Starts a new cluster. `durable: false` (tests) turns fsync off: much faster, and a test's data
 * need not survive a power cut. Benches keep it on, as a real deployment would.
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
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'app', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c max_connections=200',
    ...(opts.durable === false
      ? ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']
      : []),
  ].join(' ');
  run('pg_ctl', ['-D', data, '-o', settings, '-l', join(dir, 'log'), '-w', 'start']);
  const urlOf = (name: string) => `postgres://app@127.0.0.1:${port}/${name}`;
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
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
