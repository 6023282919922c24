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

/** An ISO timestamp in the analyst's local time, or the raw text when it cannot be read. */
export function formatLocalDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
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
