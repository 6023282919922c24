/**
 * Paste benchmark (issue 5 target 1): parse, validate and de-duplicate 100,000 IDs in about 4 MB of
 * mixed text, against the baseline of one bare regular-expression scan over the same text.
 */
import { parseIds } from '../src/features/associate/parse-ids.ts';

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

export function makeMixedInput(n: number, seed = 7): string {
  const rand = mulberry32(seed);
  const ids: string[] = [];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    let id = uuid(rand);
    if (r < 0.05 && ids.length) id = ids[Math.floor(rand() * ids.length)]!.toUpperCase();
    ids.push(id);
    if (r < 0.02) lines.push(`bad-token-${i}`);
    else if (r < 0.1) lines.push(`"${id}",`);
    else if (r < 0.15) lines.push(`${id}; severity=High`);
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

export function benchPaste(): void {
  const text = makeMixedInput(100_000);
  const baselineRe = /[A-Za-z0-9_-]{32,64}/g;
  let sink = 0;
  // Warm up both paths so the JIT has compiled them.
  for (let i = 0; i < 3; i++) {
    sink += text.match(baselineRe)?.length ?? 0;
    sink += parseIds(text, {}).valid.length;
  }
  const baseline = time(() => {
    sink += text.match(baselineRe)?.length ?? 0;
  }, 9);
  const parse = time(() => {
    sink += parseIds(text, {}).valid.length;
  }, 9);
  const result = parseIds(text, {});
  console.log(
    `paste: ${(text.length / 1e6).toFixed(2)} MB, ${result.valid.length} valid, ${result.duplicates} duplicates, ${result.invalid.length} invalid`,
  );
  console.log(`  baseline (one regex scan): ${baseline.toFixed(1)} ms`);
  console.log(`  parseIds:                  ${parse.toFixed(1)} ms  (target < 100 ms)`);
  console.log(`  ratio: ${(parse / baseline).toFixed(1)}x  (target ≤ 10x)`);
  if (sink < 0) console.log(sink);
}
