import { describe, expect, test } from 'vitest';
import { CASE_RANGES_EXPANDED, caseVariantRanges, escapeLike } from './like';

/** Byte order of the UTF-8 forms: how `collate "C"` (and SQLite's BINARY) compares text. */
const cmp = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const within = (s: string, ranges: readonly [string, string][]) =>
  ranges.some(([lo, hi]) => cmp(lo, s) <= 0 && cmp(s, hi) <= 0);

/** mulberry32: a small seeded generator (a failure can be run again). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Letters, digits, the characters between the cases in byte order ([ \ ] ^ _ `), LIKE's
// wildcards, and non-ASCII characters (which collation C does not fold).
const ALPHABET = [...'aBcDeFxYzQ0189-_[\\]^`%éÉ€😀'];

describe('escapeLike', () => {
  test('LIKE wildcards and the escape character are escaped', () => {
    expect(escapeLike('a%b_c\\d')).toBe('a\\%b\\_c\\\\d');
  });
});

describe('caseVariantRanges', () => {
  test('every text equal to s but for the case of its ASCII letters is in a range; ranges ascend and do not overlap', () => {
    const random = rng(7);
    const pick = () => ALPHABET[Math.floor(random() * ALPHABET.length)] ?? 'a';
    for (let run = 0; run < 500; run++) {
      const s = Array.from({ length: 1 + Math.floor(random() * 40) }, pick).join('');
      const ranges = caseVariantRanges(s);
      const letters = [...s].filter((ch) => /[A-Za-z]/.test(ch)).length;
      expect(ranges).toHaveLength(2 ** Math.min(letters, CASE_RANGES_EXPANDED));
      for (let k = 0; k < ranges.length; k++) {
        const [lo, hi] = ranges[k] ?? ['', ''];
        expect(cmp(lo, hi)).toBeLessThanOrEqual(0);
        const next = ranges[k + 1];
        if (next) expect(cmp(hi, next[0])).toBeLessThan(0);
      }
      for (let v = 0; v < 20; v++) {
        const variant = [...s]
          .map((ch) =>
            /[A-Za-z]/.test(ch) ? (random() < 0.5 ? ch.toUpperCase() : ch.toLowerCase()) : ch,
          )
          .join('');
        expect(within(variant, ranges)).toBe(true);
      }
      expect(within(s, ranges)).toBe(true);
    }
  });

  test('the first letters are taken both ways; the rest is a range between its two cases', () => {
    expect(caseVariantRanges('1a-B_cD9e', 2)).toEqual([
      ['1A-B_CD9E', '1A-B_cd9e'],
      ['1A-b_CD9E', '1A-b_cd9e'],
      ['1a-B_CD9E', '1a-B_cd9e'],
      ['1a-b_CD9E', '1a-b_cd9e'],
    ]);
    // No letters: the text itself; non-ASCII characters stay as they are.
    expect(caseVariantRanges('12-é_%')).toEqual([['12-é_%', '12-é_%']]);
  });

  test('the ranges narrow the keys, they do not decide: some other texts fall in them', () => {
    const s = 'e5a84d97-e4d1-40a3-a4a2-627291348d75';
    const ranges = caseVariantRanges(s);
    expect(within(s.toUpperCase(), ranges)).toBe(true);
    expect(within(`${s.slice(0, 30)}F${s.slice(31)}`, ranges)).toBe(false);
    expect(within(`${s.slice(0, 5)}b${s.slice(6)}`, ranges)).toBe(false);
    // Between `ALE` + `RT_…` and `ale` + `rt_…`: in a range, and not a case of it (the search keeps
    // its ILIKE for this).
    expect(within('alertX0001', caseVariantRanges('ALERT_0001'))).toBe(true);
  });
});
