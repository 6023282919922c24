import { expect, test } from 'vitest';
import { inertText } from './format';

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
