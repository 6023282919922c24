import { describe, expect, it } from 'vitest';
import { formattersFor } from './format';

describe('formatters', () => {
  it('write dates year first in both languages', () => {
    const iso = new Date(2026, 11, 5, 9, 3, 7).toISOString();
    expect(formattersFor('en').dateTime(iso)).toBe('2026-12-05 09:03');
    expect(formattersFor('zh-CN').dateTime(iso, { seconds: true })).toBe('2026-12-05 09:03:07');
    expect(formattersFor('en').dateTime('not a date')).toBe('not a date');
  });

  it('give relative times in the language', () => {
    const now = Date.parse('2026-12-05T12:00:00Z');
    expect(formattersFor('en').relative('2026-12-05T11:55:00Z', now)).toBe('5 minutes ago');
    expect(formattersFor('zh-CN').relative('2026-12-05T11:55:00Z', now)).toBe('5分钟前');
    expect(formattersFor('zh-CN').relative('2026-12-05T11:59:50Z', now)).toBe('刚刚');
    expect(formattersFor('en').relative('2026-12-04T12:00:00Z', now)).toBe('yesterday');
  });

  it('format numbers, durations and lists per language', () => {
    expect(formattersFor('en').number(12345)).toBe('12,345');
    expect(formattersFor('zh-CN').number(12345)).toBe('12,345');
    expect(formattersFor('en').duration(75)).toBe('1 min 15 s');
    expect(formattersFor('zh-CN').duration(75)).toBe('1 分 15 秒');
    expect(formattersFor('en').duration(Number.NaN)).toBe('—');
    expect(formattersFor('en').list(['a', 'b', 'c'])).toBe('a, b, and c');
    expect(formattersFor('zh-CN').list(['甲', '乙', '丙'])).toBe('甲、乙和丙');
  });
});
