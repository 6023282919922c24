/** Small display formatters shared by the features. */

const countFormat = new Intl.NumberFormat('en-US');

/** 1234 → "1,234" (fixed locale so that labels such as "Select all 1,234" stay predictable). */
export function formatCount(n: number): string {
  return countFormat.format(n);
}

/** The first 8 characters of a long ID, for dense tables (the full ID goes in a title). */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * An ISO timestamp in the analyst's local time, written the one way no reader can take for
 * another date: "2026-12-05 14:03" (year first, 24-hour clock; with `seconds`, "14:03:07"). The raw
 * text when it cannot be read.
 */
export function formatLocalDateTime(iso: string, opts: { seconds?: boolean } = {}): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const day = `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
  const time = `${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
  return `${day} ${time}${opts.seconds ? `:${pad2(date.getSeconds())}` : ''}`;
}

const relativeFormat = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.35],
  ['month', 12],
  ['year', Infinity],
];

/**
 * How long ago (or how far ahead) `iso` is from `now`, in the largest whole unit: "just now",
 * "5 minutes ago", "yesterday", "3 weeks ago". Empty when the timestamp cannot be read.
 */
export function formatRelativeTime(iso: string, now: number = Date.now()): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '';
  let value = (at - now) / 1000;
  if (Math.abs(value) < 45) return 'just now';
  for (const [unit, size] of RELATIVE_STEPS) {
    if (Math.abs(value) < size) return relativeFormat.format(Math.round(value), unit);
    value /= size;
  }
  return '';
}

/** 75 → "1 min 15 s"; used for estimated time left. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
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
