import { expect, test } from 'vitest';
import { formatLocalDateTime, formatRelativeTime, inertText } from './format';

test('inertText shows every bidi control as a visible code point and leaves other text alone', () => {
  expect(inertText('invoice\u202egpj.exe')).toBe('invoice[U+202E]gpj.exe');
  expect(
    inertText('a\u202ab\u202bc\u202cd\u202de\u2066f\u2067g\u2068h\u2069i\u200ej\u200fk\u061cl'),
  ).toBe(
    'a[U+202A]b[U+202B]c[U+202C]d[U+202D]e[U+2066]f[U+2067]g[U+2068]h[U+2069]i[U+200E]j[U+200F]k[U+061C]l',
  );
  expect(inertText('普通的标题 — Brute force (Low)')).toBe('普通的标题 — Brute force (Low)');
  expect(inertText('عنوان')).toBe('عنوان');
});

test('formatLocalDateTime writes the local date year first with a 24-hour time', () => {
  const at = new Date(2026, 11, 5, 14, 3, 7); // local time
  expect(formatLocalDateTime(at.toISOString())).toBe('2026-12-05 14:03');
  expect(formatLocalDateTime(at.toISOString(), { seconds: true })).toBe('2026-12-05 14:03:07');
  expect(formatLocalDateTime(new Date(2026, 0, 9, 4, 5).toISOString())).toBe('2026-01-09 04:05');
  expect(formatLocalDateTime('not a date')).toBe('not a date');
});

test('formatRelativeTime names the largest whole unit, past or future', () => {
  const now = Date.parse('2026-12-05T14:00:00.000Z');
  const ago = (ms: number) => new Date(now - ms).toISOString();
  expect(formatRelativeTime(ago(10_000), now)).toBe('just now');
  expect(formatRelativeTime(ago(5 * 60_000), now)).toBe('5 minutes ago');
  expect(formatRelativeTime(ago(3 * 3600_000), now)).toBe('3 hours ago');
  expect(formatRelativeTime(ago(26 * 3600_000), now)).toBe('yesterday');
  expect(formatRelativeTime(ago(15 * 86400_000), now)).toBe('2 weeks ago');
  expect(formatRelativeTime(ago(-2 * 3600_000), now)).toBe('in 2 hours');
  expect(formatRelativeTime('never', now)).toBe('');
});
