// Finds a Chromium for Playwright: $CHROMIUM_PATH, then the usual Debian paths. Where none is found
// and apt-get can run, installs Debian's `chromium` (Playwright cannot download browsers here).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

function found() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    console.error(`CHROMIUM_PATH=${fromEnv} does not exist.`);
    return null;
  }
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export function findChromium({ install = true } = {}) {
  const path = found();
  if (path || !install) return path;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!hasApt) return null;
  console.log('No Chromium found: installing Debian\'s chromium with apt-get…');
  const asRoot = process.getuid?.() === 0;
  const apt = (args) =>
    asRoot
      ? execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
      : execFileSync('sudo', ['-n', 'apt-get', ...args], { stdio: 'inherit' });
  try {
    apt(['update', '-qq']);
    apt(['install', '-y', '-qq', 'chromium']);
  } catch {
    return null;
  }
  return found();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = findChromium();
  if (!path) {
    console.error('No Chromium: set CHROMIUM_PATH or install Debian\'s chromium.');
    process.exit(1);
  }
  console.log(path);
}
