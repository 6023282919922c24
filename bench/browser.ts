/// <reference lib="dom" />
/**
 * Shared by the Chromium benchmarks (paste.ts, results-scroll.ts): builds the app once, starts
 * the real server (emulator mode, loopback, free ports, a given DATA_DIR) and Chromium with the
 * launch flags of playwright.config.ts, and records long tasks in the page.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/support/chromium.ts';
import { startServer as startServerProcess } from '../server/testing/process-harness.ts';

export { CHROMIUM_ARGS };

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const LONG_TASK_MS = 50;

export interface LongTask {
  start: number;
  duration: number;
}

let built = false;

/** `vite build`, once per process. */
export function buildApp(): void {
  if (built) return;
  const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'error'], {
    cwd: ROOT,
    stdio: 'inherit',
    timeout: 120_000,
  });
  if (build.status !== 0) throw new Error('vite build failed');
  built = true;
}

/** Starts server/main.ts on free loopback ports over `dataDir` (the tests' process harness). */
export async function startServer(dataDir: string): Promise<{ base: string; child: ChildProcess }> {
  const server = await startServerProcess({ DATA_DIR: dataDir, NODE_ENV: 'production' });
  return { base: server.url, child: server.child };
}

/** Stops the server by its PID (SIGTERM, then SIGKILL after 5 s). */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(timer);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
  });
}

/** A page whose long tasks are recorded from the start (read them with `longTasks`). */
export async function newLongTaskPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        w.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ entryTypes: ['longtask'] });
  });
  return page;
}

/** Long tasks that started between `from` and `to` (page clock, ms). */
export async function longTasks(page: Page, from: number, to: number): Promise<LongTask[]> {
  const tasks = await page.evaluate(
    () => (window as unknown as { __longTasks: LongTask[] }).__longTasks,
  );
  return tasks.filter((t) => t.start >= from && t.start <= to);
}

export function longest(tasks: LongTask[]): number {
  return tasks.reduce((m, t) => Math.max(m, t.duration), 0);
}
