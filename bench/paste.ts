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
import type { Page } from 'playwright-core';

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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
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

/** Sets a textarea's value as a paste does: all at once, then one bubbling input event. */
async function setValue(page: Page, selector: string, value: string): Promise<void> {
  await page.evaluate(
    ([sel, v]) => {
      const el = document.querySelector<HTMLTextAreaElement>(sel);
      if (!el) throw new Error(`no ${sel}`);
      el.focus();
      const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set;
      setter?.call(el, v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    },
    [selector, value] as const,
  );
}

/** Types TYPED at the end of the textarea, 100 ms apart; the long tasks meanwhile. */
async function typeKeys(page: Page, selector: string): Promise<LongTask[]> {
  await page.focus(selector);
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

    // Paste: the whole value set at once with one input event, as a paste lands. (Playwright's
    // fill() inserts through Chromium's editing commands, which take minutes for 100,000 lines.)
    const pasteStart = await page.evaluate(() => performance.now());
    await setValue(page, 'textarea[name="relatedIds"]', text);
    const pasteEnd = (await (await summaryShows(expected)).jsonValue()) as number;
    const pasteTasks = await longTasks(page, pasteStart, pasteEnd);

    const app = await typeKeys(page, 'textarea[name="relatedIds"]');
    // Baseline: a bare <textarea> holding the same text in the same browser.
    const bare = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await bare.setContent(
      `<script>window.__longTasks=[];new PerformanceObserver((l)=>{for(const e of l.getEntries())window.__longTasks.push({start:e.startTime,duration:e.duration})}).observe({entryTypes:['longtask']})</script><textarea rows="14" spellcheck="false" style="width:600px;font:12px monospace"></textarea>`,
    );
    await setValue(bare, 'textarea', text);
    await bare.waitForTimeout(1000);
    const baseline = await typeKeys(bare, 'textarea');

    console.log(
      `paste (Chromium): ${(text.length / 1e6).toFixed(2)} MB pasted into "Related IDs", parsed in the Web Worker`,
    );
    console.log(
      `  paste → summary shown:             ${(pasteEnd - pasteStart).toFixed(0)} ms; longest task ${longest(pasteTasks).toFixed(0)} ms (tasks > ${LONG_TASK_MS} ms: ${pasteTasks.map((t) => t.duration.toFixed(0)).join(', ')})`,
    );
    console.log(
      `  typing ${TYPED.length} keys at the end of the box:  longest task ${longest(app).toFixed(0)} ms, ${app.length} tasks > ${LONG_TASK_MS} ms`,
    );
    console.log(
      `  baseline (bare <textarea>, same text): longest task ${longest(baseline).toFixed(0)} ms, ${baseline.length} tasks > ${LONG_TASK_MS} ms  ratio ${(longest(app) / Math.max(1, longest(baseline))).toFixed(2)}x`,
    );
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
