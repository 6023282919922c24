/// <reference lib="dom" />
/**
 * Results scroll benchmark (issue target: the results table of a 100,000-ID batch opens in under
 * 1 s after the batch ends and scrolls without long tasks). Starts the real server (emulator mode,
 * loopback, a temporary DATA_DIR holding a finished 100,000-ID batch), opens /batches/{id} in
 * Chromium, times navigation → first rows visible, then scrolls the results table from top to
 * bottom while a PerformanceObserver('longtask') records main-thread tasks over 50 ms.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { openLedger } from '../server/batches/ledger.ts';
import { LARGE_BATCH, seedFinishedBatch } from './seed-batch.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The launch flags of playwright.config.ts. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const LONG_TASK_MS = 50;
/** Pixels scrolled per animation frame: 100 rows a frame, the whole table in about 1,000 frames. */
const SCROLL_STEP_PX = 3200;

function freePort(): Promise<number> {
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

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server not healthy within ${timeoutMs} ms`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(timer);
}

export async function benchResultsScroll(): Promise<void> {
  const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'error'], {
    cwd: ROOT,
    stdio: 'inherit',
    timeout: 120_000,
  });
  if (build.status !== 0) throw new Error('vite build failed');

  const dataDir = mkdtempSync(join(tmpdir(), 'bench-scroll-'));
  const ledger = openLedger(join(dataDir, 'ledger.sqlite'));
  const { id, ids } = seedFinishedBatch(ledger);
  ledger.close();

  const port = await freePort();
  const emulatorPort = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      EMULATOR_PORT: String(emulatorPort),
      DATA_DIR: dataDir,
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  try {
    await waitForHealth(`${base}/api/health`, child, 60_000);
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.addInitScript(() => {
      const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries())
          w.__longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ entryTypes: ['longtask'] });
    });

    // Open: navigation start → the first row of the table is on screen (times from the page).
    await page.goto(`${base}/batches/${id}`, { waitUntil: 'commit' });
    const firstId = ids[0]!;
    const openMs = (await (
      await page.waitForFunction(
        (wanted) => {
          const row = document.querySelector(
            'table[aria-label="Batch items"] tr[aria-rowindex="2"]',
          );
          return row?.textContent?.includes(wanted) ? performance.now() : false;
        },
        firstId,
        { polling: 'raf', timeout: 30_000 },
      )
    ).jsonValue()) as number;
    const fcp = await page.evaluate(
      () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? 0,
    );
    const rowCount = await page.getAttribute('table[aria-label="Batch items"]', 'aria-rowcount');

    // Scroll top to bottom, one step per frame, then wait for the last row's data.
    await page.waitForTimeout(500);
    const scrollStart = await page.evaluate(() => performance.now());
    const frames = await page.evaluate(async (step) => {
      const el = document.querySelector<HTMLElement>('[data-testid="batch-results-scroll"]');
      if (!el) throw new Error('no results scroll container');
      let n = 0;
      while (el.scrollTop + el.clientHeight < el.scrollHeight - 1) {
        el.scrollTop += step;
        n += 1;
        await new Promise((r) => requestAnimationFrame(() => r(null)));
      }
      return n;
    }, SCROLL_STEP_PX);
    const lastId = ids[ids.length - 1]!;
    await page.waitForFunction(
      ([rowIndex, wanted]) =>
        document
          .querySelector(`table[aria-label="Batch items"] tr[aria-rowindex="${rowIndex}"]`)
          ?.textContent?.includes(wanted ?? '') ?? false,
      [String(LARGE_BATCH + 1), lastId] as const,
      { polling: 'raf', timeout: 30_000 },
    );
    const scrollEnd = await page.evaluate(() => performance.now());
    const tasks = await page.evaluate(
      () =>
        (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks,
    );
    const during = tasks.filter((t) => t.start >= scrollStart && t.start <= scrollEnd);
    const onLoad = tasks.filter((t) => t.start < scrollStart);
    const longest = during.reduce((m, t) => Math.max(m, t.duration), 0);
    const longestOnLoad = onLoad.reduce((m, t) => Math.max(m, t.duration), 0);

    console.log(
      `results-scroll: ${LARGE_BATCH.toLocaleString('en')}-ID batch in Chromium (aria-rowcount ${rowCount})`,
    );
    console.log(`  baseline (first contentful paint of the same page): ${fcp.toFixed(0)} ms`);
    console.log(
      `  open (navigation → first rows visible):  ${openMs.toFixed(0)} ms  ratio ${(openMs / Math.max(1, fcp)).toFixed(1)}x  (target < 1000 ms) ${openMs < 1000 ? 'ok' : 'OVER'}`,
    );
    console.log(`  longest task while opening:             ${longestOnLoad.toFixed(0)} ms`);
    console.log(
      `  scripted scroll: ${frames} frames of ${SCROLL_STEP_PX} px in ${((scrollEnd - scrollStart) / 1000).toFixed(1)} s`,
    );
    console.log(`  baseline (long-task threshold):           ${LONG_TASK_MS} ms`);
    console.log(
      `  longest main-thread task while scrolling: ${longest.toFixed(0)} ms  ratio ${(longest / LONG_TASK_MS).toFixed(2)}x  (target: no task > ${LONG_TASK_MS} ms)`,
    );
    console.log(`  tasks > ${LONG_TASK_MS} ms while scrolling:         ${during.length}`);
  } finally {
    await browser.close();
    await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
