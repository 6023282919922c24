/// <reference lib="dom" />
/**
 * Results scroll benchmark (issue target: the results table of a 100,000-ID batch opens in under
 * 1 s after the batch ends and scrolls without long tasks). Starts the real server (emulator mode,
 * loopback, a temporary DATA_DIR holding a finished 100,000-ID batch), opens /batches/{id} in
 * Chromium, times navigation → first rows visible, then scrolls the results table from top to
 * bottom while a PerformanceObserver('longtask') records main-thread tasks over 50 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../server/batches/ledger.ts';
import {
  LONG_TASK_MS,
  buildApp,
  launchChromium,
  longTasks,
  longest,
  newLongTaskPage,
  startServer,
  stop,
} from './browser.ts';
import { LARGE_BATCH, seedFinishedBatch } from './seed-batch.ts';

/** Pixels scrolled per animation frame: 100 rows a frame, the whole table in about 1,000 frames. */
const SCROLL_STEP_PX = 3200;

export async function benchResultsScroll(): Promise<void> {
  buildApp();

  const dataDir = mkdtempSync(join(tmpdir(), 'bench-scroll-'));
  const ledger = openLedger(join(dataDir, 'ledger.sqlite'));
  const { id, ids } = seedFinishedBatch(ledger);
  ledger.close();

  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const browser = await launchChromium();
  try {
    server = await startServer(dataDir);
    const { base } = server;
    const page = await newLongTaskPage(browser);

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
    const during = await longTasks(page, scrollStart, scrollEnd);
    const longestScroll = longest(during);
    const longestOnLoad = longest(await longTasks(page, 0, scrollStart - 1));

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
      `  longest main-thread task while scrolling: ${longestScroll.toFixed(0)} ms  ratio ${(longestScroll / LONG_TASK_MS).toFixed(2)}x  (target: no task > ${LONG_TASK_MS} ms)`,
    );
    console.log(`  tasks > ${LONG_TASK_MS} ms while scrolling:         ${during.length}`);
  } finally {
    await browser.close();
    if (server) await stop(server.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
