// Finds PostgreSQL's server programs (initdb, pg_ctl) for the tests: $PG_BIN, then Debian's
// /usr/lib/postgresql/<version>/bin (newest first). Where none is found and apt-get can run,
// installs Debian's `postgresql` (as scripts/find-chromium.mjs does for Chromium).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const DEBIAN = '/usr/lib/postgresql';

function found() {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv) {
    if (existsSync(join(fromEnv, 'initdb'))) return fromEnv;
    console.error(`PG_BIN=${fromEnv} holds no initdb.`);
    return null;
  }
  if (!existsSync(DEBIAN)) return null;
  const versions = readdirSync(DEBIAN)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(DEBIAN, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(DEBIAN, versions[0], 'bin') : null;
}

/** The directory holding initdb and pg_ctl, or null (not found and not installable). */
export function findPostgres({ install = true } = {}) {
  const bin = found();
  if (bin || !install) return bin;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!hasApt) return null;
  console.log("No PostgreSQL found: installing Debian's postgresql with apt-get…");
  const asRoot = process.getuid?.() === 0;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) =>
    asRoot
      ? execFileSync('apt-get', args, { stdio: 'inherit', env })
      : execFileSync('sudo', ['-n', 'apt-get', ...args], { stdio: 'inherit', env });
  try {
    apt(['update', '-qq']);
    apt(['install', '-y', '-qq', 'postgresql']);
  } catch {
    return null;
  }
  return found();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // `--no-install`: only look (the tests' own start-up never runs apt-get; npm test installs).
  const bin = findPostgres({ install: !process.argv.includes('--no-install') });
  if (!bin) {
    console.error("No PostgreSQL: set PG_BIN or install Debian's postgresql.");
    process.exit(1);
  }
  console.log(bin);
}
