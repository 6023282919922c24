/**
 * A LIKE pattern for the ledger's searches on both stores: `%`, `_` and `\` in the searched text
 * are literal (each query says `ESCAPE '\'`).
 */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}
