/** Small display formatters shared by the features. */

import { formatters } from '../i18n/i18n';

/** 1234 → "1,234", in the console's language. */
export function formatCount(n: number): string {
  return formatters().number(n);
}

/** The first 8 characters of a long ID, for dense tables (the full ID goes in a title). */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

/**
 * An ISO timestamp in the analyst's local time, written the one way no reader can take for
 * another date, in every language: "2026-12-05 14:03" (year first, 24-hour clock; with `seconds`,
 * "14:03:07"). The raw text when it cannot be read.
 */
export { formatDateTime as formatLocalDateTime } from '../i18n/format';

/**
 * How long ago (or how far ahead) `iso` is from `now`, in the largest whole unit and the console's
 * language: "just now", "5 minutes ago", "yesterday" / "刚刚", "5分钟前". Empty when unreadable.
 */
export function formatRelativeTime(iso: string, now: number = Date.now()): string {
  return formatters().relative(iso, now);
}

/** 75 → "1 min 15 s" (in the console's language); used for estimated time left. */
export function formatDuration(seconds: number): string {
  return formatters().duration(seconds);
}

/**
 * Bidirectional controls (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM, ALM): a title
 * such as `invoice<RLO>fdp.exe` would show as "invoiceexe.pdf". Text from SecMaster (titles,
 * names) is shown with each control replaced by a visible `[U+202E]`, so it cannot reorder what
 * follows and the analyst sees it is there. Used wherever such text is shown: object titles and
 * names, workspace names, per-ID messages.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

export function inertText(text: string): string {
  return text.replace(
    BIDI_CONTROLS,
    (ch) => `[U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`,
  );
}
