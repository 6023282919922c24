/**
 * Numbers, dates and durations in a language. Dates are written year first with a 24-hour clock
 * in every language ("2026-12-05 14:03"): no reader can take that for another day, whichever
 * order their own locale uses. Relative times ("5 minutes ago", "5 分钟前") come from the
 * browser's Intl data for the language.
 */
import type { Language } from './languages';

export interface Formatters {
  /** 1234 → "1,234". */
  number(n: number): string;
  /** 0.42 → "42%". */
  percent(ratio: number): string;
  /** ISO → "2026-12-05 14:03" in local time (with `seconds`, "14:03:07"); the raw text if unreadable. */
  dateTime(iso: string, opts?: { seconds?: boolean }): string;
  /** How long ago `iso` is from `now`, in the largest whole unit; empty when unreadable. */
  relative(iso: string, now?: number): string;
  /** 75 → "1 min 15 s" / "1 分 15 秒"; "—" when unknown. */
  duration(seconds: number): string;
  /** ["a", "b", "c"] → "a, b and c" / "a、b和c". */
  list(items: string[]): string;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

export function formatDateTime(iso: string, opts: { seconds?: boolean } = {}): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const day = `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
  const time = `${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
  return `${day} ${time}${opts.seconds ? `:${pad2(date.getSeconds())}` : ''}`;
}

const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.35],
  ['month', 12],
  ['year', Infinity],
];

const DURATION_UNITS: Record<Language, { h: string; min: string; s: string; sep: string }> = {
  en: { h: ' h', min: ' min', s: ' s', sep: ' ' },
  'zh-CN': { h: ' 小时', min: ' 分', s: ' 秒', sep: ' ' },
};

const JUST_NOW: Record<Language, string> = { en: 'just now', 'zh-CN': '刚刚' };

const cache = new Map<Language, Formatters>();

export function formattersFor(language: Language): Formatters {
  const known = cache.get(language);
  if (known) return known;
  const numberFormat = new Intl.NumberFormat(language);
  const percentFormat = new Intl.NumberFormat(language, { style: 'percent' });
  const relativeFormat = new Intl.RelativeTimeFormat(language, { numeric: 'auto' });
  const listFormat = new Intl.ListFormat(language, { type: 'conjunction' });
  const units = DURATION_UNITS[language];
  const f: Formatters = {
    number: (n) => numberFormat.format(n),
    percent: (ratio) => percentFormat.format(ratio),
    dateTime: formatDateTime,
    relative(iso, now = Date.now()) {
      const at = Date.parse(iso);
      if (Number.isNaN(at)) return '';
      let value = (at - now) / 1000;
      if (Math.abs(value) < 45) return JUST_NOW[language];
      for (const [unit, size] of RELATIVE_STEPS) {
        if (Math.abs(value) < size) return relativeFormat.format(Math.round(value), unit);
        value /= size;
      }
      return '';
    },
    duration(seconds) {
      if (!Number.isFinite(seconds) || seconds < 0) return '—';
      const s = Math.round(seconds);
      if (s < 60) return `${s}${units.s}`;
      const m = Math.floor(s / 60);
      if (m < 60) return `${m}${units.min}${units.sep}${s % 60}${units.s}`;
      const h = Math.floor(m / 60);
      return `${h}${units.h}${units.sep}${m % 60}${units.min}`;
    },
    list: (items) => listFormat.format(items),
  };
  cache.set(language, f);
  return f;
}
