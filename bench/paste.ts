/// <reference lib="dom" />
/**
 * Paste benchmark (issue target 1): parse, validate and de-duplicate 100,000 IDs in about 4 MB
 * of mixed text (noise, duplicates, invalid entries), against the baseline of one bare
 * regular-expression scan over the same text; then, in Chromium, the same text filled into
 * "Related IDs": the longest main-thread task until the summary shows the result (parsed in the
 * Web Worker), and while typing into the 100,000-line box afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIds } from '../src/features/associate/parse-ids.ts';
import {
  LONG_TASK_MS,
  buildApp,
  launchChromium,
  longTasks,
  longest,
  newLongTaskPage,
  startServer,
  stop,
  type LongTask,
} from './browser.ts';
import type { Locator, Page } from 'playwright-core';
import { median } from './stats.ts';

export const PASTE_IDS = 100_000;

function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuid(rand: () => number): string {
  const hex = '0123456789abcdef';
  let s = '';
  for (let i = 0; i < 32; i++) s += hex[Math.floor(rand() * 16)];
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-a${s.slice(17, 20)}-${s.slice(20)}`;
}

/**
 * `n` entries, one per line, about 40 bytes each (4.1 MB for 100,000): mostly plain UUIDs, and
 * the shapes analysts paste around them — quoted CSV cells, "; severity=High" notes, console
 * URLs, JSON fragments with keys, `alert_id=` labels, truncated UUIDs and other invalid tokens,
 * blank lines — with 5 % duplicates (a third of them upper-cased).
 */
export function makeMixedInput(n: number, seed = 7): string {
  const rand = mulberry32(seed);
  const ids: string[] = [];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    let id = uuid(rand);
    if (rand() < 0.05 && ids.length) {
      id = ids[Math.floor(rand() * ids.length)]!;
      if (rand() < 0.33) id = id.toUpperCase();
    }
    ids.push(id);
    if (r < 0.02) lines.push(`bad-token-${i}`);
    else if (r < 0.03) lines.push(id.slice(0, 30));
    else if (r < 0.1) lines.push(`"${id}",`);
    else if (r < 0.15) lines.push(`${id}; severity=High`);
    else if (r < 0.18) lines.push(`https://console.example.com/secmaster/alerts/${id}?tab=detail`);
    else if (r < 0.2) lines.push(`{"id": "${id}", "title": "Brute force"}`);
    else if (r < 0.22) lines.push(`alert_id=${id}.`);
    else if (r < 0.23) lines.push('');
    else lines.push(id);
  }
  return lines.join('\n');
}

function time(fn: () => void, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

export function benchPasteParse(text = makeMixedInput(PASTE_IDS)): void {
  const baselineRe = /[A-Za-z0-9_-]{32,64}/g;
  let sink = 0;
  // Warm up both paths so the JIT has compiled them.
  for (let i = 0; i < 3; i++) {
    sink += text.match(baselineRe)?.length ?? 0;
    sink += parseIds(text, {}).valid.length;
  }
  const baseline = time(() => {
    sink += text.match(baselineRe)?.length ?? 0;
  }, 15);
  const parse = time(() => {
    sink += parseIds(text, {}).valid.length;
  }, 15);
  const result = parseIds(text, {});
  console.log(
    `paste: ${(text.length / 1e6).toFixed(2)} MB, ${text.split('\n').length.toLocaleString('en')} lines → ${result.valid.length.toLocaleString('en')} valid, ${result.duplicates.toLocaleString('en')} duplicates, ${result.invalid.length.toLocaleString('en')} invalid, ${result.tokens.length.toLocaleString('en')} tokens`,
  );
  console.log(`  baseline (one regex scan): ${baseline.toFixed(1)} ms  (median of 15)`);
  console.log(`  parseIds:                  ${parse.toFixed(1)} ms  (target < 100 ms)`);
  console.log(`  ratio: ${(parse / baseline).toFixed(1)}x  (target ≤ 10x)`);
  if (sink < 0) console.log(sink);
}

const TYPED = 'abcdefghij';

/**
 * Pastes `text` into the element that `selector` finds, as Ctrl+V does: a `paste` event carrying
 * the text; where no handler takes it (a textarea's default action), the text goes in at the
 * cursor through the value setter and one bubbling input event, the cheapest way a textarea can
 * receive it. (Playwright's fill() inserts through Chromium's editing commands, which take
 * minutes for 100,000 lines, and the headless clipboard is not reliable.)
 */
async function paste(page: Page, selector: string): Promise<void> {
  await page.evaluate(
    ([sel]) => {
      const v = (window as unknown as { __clipboard: string }).__clipboard;
      const el = document.querySelector<HTMLTextAreaElement>(sel);
      if (!el) throw new Error(`no ${sel}`);
      el.focus();
      const data = new DataTransfer();
      data.setData('text/plain', v);
      const event = new ClipboardEvent('paste', {
        clipboardData: data,
        bubbles: true,
        cancelable: true,
      });
      if (!el.dispatchEvent(event)) return;
      const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set;
      setter?.call(el, el.value.slice(0, el.selectionStart) + v + el.value.slice(el.selectionEnd));
      el.dispatchEvent(new Event('input', { bubbles: true }));
    },
    [selector] as const,
  );
}

/** Puts `text` in the page beforehand, so that moving 4 MB into it is not timed as the paste. */
async function toClipboard(page: Page, text: string): Promise<void> {
  await page.evaluate((v) => {
    (window as unknown as { __clipboard: string }).__clipboard = v;
  }, text);
}

/** Long tasks from `start` until the page has been idle for a second (two frames, then 1 s). */
async function settle(page: Page, start: number): Promise<LongTask[]> {
  await page.evaluate(
    () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))),
  );
  await page.waitForTimeout(1000);
  const end = await page.evaluate(() => performance.now());
  return longTasks(page, start, end);
}

/** Types TYPED at the end of the box, 100 ms apart; the long tasks meanwhile. */
async function typeKeys(page: Page, box: Locator): Promise<LongTask[]> {
  await box.focus();
  await page.keyboard.press('Control+End');
  await page.waitForTimeout(500);
  const start = await page.evaluate(() => performance.now());
  await page.keyboard.type(TYPED, { delay: 100 });
  await page.waitForTimeout(1000);
  const end = await page.evaluate(() => performance.now());
  return longTasks(page, start, end);
}

/** Chromium: paste the text into "Related IDs", then type into it; a bare textarea as baseline. */
export async function benchPasteBrowser(text = makeMixedInput(PASTE_IDS)): Promise<void> {
  buildApp();
  const expected = parseIds(text, {}).valid.length;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-paste-'));
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const browser = await launchChromium();
  try {
    server = await startServer(dataDir);
    const page = await newLongTaskPage(browser);
    await page.goto(`${server.base}/`);
    try {
      await page.getByRole('textbox', { name: 'Related IDs' }).waitFor({ timeout: 30_000 });
      await page.waitForFunction(
        () => {
          const t = document.querySelector<HTMLTextAreaElement>('textarea[name="relatedIds"]');
          const ws = document.querySelector<HTMLInputElement>(
            'input[aria-label="Workspace"], [role="combobox"][aria-label="Workspace"]',
          );
          return (
            t !== null && !t.disabled && t.offsetParent !== null && (ws === null || ws.value !== '')
          );
        },
        null,
        { timeout: 30_000 },
      );
    } catch (error) {
      throw new Error('the paste box did not become editable', { cause: error });
    }
    await page.waitForTimeout(1000);

    // The summary ("N valid · …") with no "reading…" beside it: the result is shown.
    const summaryShows = (count: number) =>
      page.waitForFunction(
        (n) => {
          const summary = document.querySelector('[aria-label="Paste summary"]');
          const done =
            summary?.textContent?.startsWith(`${n} valid`) &&
            !summary.parentElement?.textContent?.includes('reading…');
          return done ? performance.now() : false;
        },
        count,
        { polling: 'raf', timeout: 60_000 },
      );

    // Paste, then the summary of the parse (in the Web Worker); the long tasks until the page
    // is idle again after the summary shows.
    const box = page.getByRole('textbox', { name: 'Related IDs' });
    await toClipboard(page, text);
    const pasteStart = await page.evaluate(() => performance.now());
    await paste(page, 'textarea[name="relatedIds"]');
    const pasteEnd = (await (await summaryShows(expected)).jsonValue()) as number;
    const pasteTasks = await settle(page, pasteStart);
    const app = await typeKeys(page, box);

    // Baseline: a bare <textarea> given the same paste and the same keys in the same browser.
    const bare = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await bare.setContent(
      `<script>window.__longTasks=[];new PerformanceObserver((l)=>{for(const e of l.getEntries())window.__longTasks.push({start:e.startTime,duration:e.duration})}).observe({entryTypes:['longtask']})</script><textarea rows="14" spellcheck="false" style="width:600px;font:12px monospace"></textarea>`,
    );
    await toClipboard(bare, text);
    const barePasteStart = await bare.evaluate(() => performance.now());
    await paste(bare, 'textarea');
    const barePaste = await settle(bare, barePasteStart);
    const bareTyping = await typeKeys(bare, bare.locator('textarea'));

    const ratio = (a: LongTask[], b: LongTask[]) =>
      (longest(a) / Math.max(1, longest(b))).toFixed(2);
    const tasks = (ts: LongTask[]) =>
      `longest task ${longest(ts).toFixed(0)} ms, ${ts.length} tasks > ${LONG_TASK_MS} ms`;
    console.log(
      `paste (Chromium): ${(text.length / 1e6).toFixed(2)} MB pasted into "Related IDs" (a paste event), parsed in the Web Worker`,
    );
    console.log(
      `  paste → summary shown in ${(pasteEnd - pasteStart).toFixed(0)} ms; until idle: ${tasks(pasteTasks)} (${pasteTasks.map((t) => t.duration.toFixed(0)).join(', ')})`,
    );
    console.log(`  baseline, the same paste into a bare <textarea>: ${tasks(barePaste)}`);
    console.log(`  paste ratio ${ratio(pasteTasks, barePaste)}x  (target ≤ 0.20x)`);
    console.log(`  typing ${TYPED.length} keys at the end of the box: ${tasks(app)}`);
    console.log(`  baseline, the same keys in the bare <textarea>: ${tasks(bareTyping)}`);
    console.log(`  keystroke ratio ${ratio(app, bareTyping)}x  (target ≤ 0.20x)`);
  } finally {
    await browser.close();
    if (server) await stop(server.child);
    if (!process.env.KEEP_BENCH_DATA) rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchPaste(): Promise<void> {
  const text = makeMixedInput(PASTE_IDS);
  benchPasteParse(text);
  await benchPasteBrowser(text);
}
