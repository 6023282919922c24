/** Small text helpers shared by the features. */

/** `text` cut to `max` characters, ending in "…" when cut. */
export function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "1 ID", "2 IDs" in the console's language (src/lib/words.ts). */
export { idCount } from './words';
