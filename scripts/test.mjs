// `npm test`: typecheck, lint, unit/component/server tests, build, bundle budget, e2e.
// Ends with one line "N passed, N failed" (tests counted across Vitest and Playwright; a failing
// check such as typecheck or lint counts as one failure).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { findChromium } from './find-chromium.mjs';
import { findPostgres } from './find-postgres.mjs';

mkdirSync('.tmp', { recursive: true });
let passed = 0;
let failed = 0;
const failures = [];

function run(name, cmd, args, env = {}) {
  console.log(`\n▶ ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = r.status === 0;
  if (!ok) failures.push(name);
  return ok;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

const npx = 'npx';
if (!run('typecheck (SPA)', npx, ['tsc', '-p', 'tsconfig.json', '--noEmit'])) failed++;
if (!run('typecheck (server)', npx, ['tsc', '-p', 'server/tsconfig.json', '--noEmit'])) failed++;
if (!run('typecheck (e2e)', npx, ['tsc', '-p', 'e2e/tsconfig.json', '--noEmit'])) failed++;
if (!run('typecheck (bench)', npx, ['tsc', '-p', 'bench/tsconfig.json', '--noEmit'])) failed++;
for (const pkg of ['apig-signing', 'secmaster-emulator']) {
  const tsconfig = `packages/${pkg}/tsconfig.json`;
  if (!run(`typecheck (${pkg})`, npx, ['tsc', '-p', tsconfig, '--noEmit'])) failed++;
}
if (!run('lint', npx, ['eslint', '.', '--max-warnings', '0'])) failed++;

// The server tests run on a real PostgreSQL too: find it, or install Debian's package (as for
// Chromium below). Missing, those tests fail and say why.
const pgBin = findPostgres();
if (!pgBin) console.error("No PostgreSQL could be found or installed: the tests that need it will fail, saying so.");

const vitestJson = '.tmp/vitest.json';
const vitestOk = run('unit, component and server tests', npx, [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestJson}`,
], pgBin ? { PG_BIN: pgBin } : {});
const v = readJson(vitestJson);
if (v) {
  passed += v.numPassedTests ?? 0;
  failed += v.numFailedTests ?? 0;
  if (!vitestOk && (v.numFailedTests ?? 0) === 0) failed++;
} else {
  failed++;
}

const buildOk = run('build', npx, ['vite', 'build']);
if (!buildOk) failed++;
else if (!run('bundle budget', 'node', ['scripts/bundle-budget.mjs'])) failed++;

const chromium = findChromium();
if (!chromium) {
  console.error('No Chromium could be found or installed: e2e tests cannot run.');
  failures.push('e2e (no Chromium)');
  failed++;
} else if (buildOk) {
  const pwJson = '.tmp/playwright.json';
  const e2eOk = run('e2e', npx, ['playwright', 'test'], {
    CHROMIUM_PATH: chromium,
    PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson,
  });
  const p = existsSync(pwJson) ? readJson(pwJson) : null;
  if (p?.stats) {
    passed += (p.stats.expected ?? 0) + (p.stats.flaky ?? 0);
    failed += p.stats.unexpected ?? 0;
    if (!e2eOk && (p.stats.unexpected ?? 0) === 0) failed++;
  } else {
    failed++;
  }
}

const line = `${passed} passed, ${failed} failed`;
writeFileSync('.tmp/summary.txt', `${line}\n`);
if (failures.length) console.log(`\nFailed steps: ${failures.join(', ')}`);
console.log(`\n${line}`);
process.exit(failed === 0 && failures.length === 0 ? 0 : 1);
