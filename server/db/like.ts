/**
 * A LIKE pattern for the ledger's searches on both stores: `%`, `_` and `\` in the searched text
 * are literal (each query says `ESCAPE '\'`).
 */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** How many of a text's first ASCII letters `caseVariantRanges` takes both ways (2^3 ranges). */
export const CASE_RANGES_EXPANDED = 3;

const upper = (s: string) => s.replace(/[a-z]/g, (ch) => ch.toUpperCase());
const lower = (s: string) => s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());

/**
 * Ranges of text in byte order (`collate "C"`, as the ledger's text columns on PostgreSQL) that
 * together hold every text equal to `s` but for the case of its ASCII letters: what ILIKE folds
 * under collation C (only A–Z/a–z; every other character, non-ASCII ones too, stays as it is), and
 * SQLite's LIKE.
 *
 * Why it holds: such a text differs from `s` only at ASCII letters, each one byte; at the first
 * byte where it differs from the all-upper-case form it has the lower-case letter, which sorts
 * after (A–Z are 0x41–0x5A, a–z 0x61–0x7A), and likewise before the all-lower-case form. So one
 * range [upper(s), lower(s)] holds them all; it would also hold every key between those two (for
 * `s` starting with a letter, most keys starting with any letter). Hence the first `expand`
 * letters are taken both ways, which fixes the range's prefix up to them: 2^min(letters, expand)
 * ranges [prefix + upper(rest), prefix + lower(rest)], each as narrow as the keys sharing its
 * prefix. Both ends included; ranges are in ascending order and do not overlap.
 */
export function caseVariantRanges(
  s: string,
  expand = CASE_RANGES_EXPANDED,
): [lo: string, hi: string][] {
  let prefixes = [''];
  let letters = 0;
  let i = 0;
  for (; i < s.length && letters < expand; i++) {
    const ch = s.charAt(i);
    if (/[A-Za-z]/.test(ch)) {
      prefixes = prefixes.flatMap((p) => [p + ch.toUpperCase(), p + ch.toLowerCase()]);
      letters++;
    } else {
      prefixes = prefixes.map((p) => p + ch);
    }
  }
  const rest = s.slice(i);
  return prefixes.map((p) => [p + upper(rest), p + lower(rest)]);
}
