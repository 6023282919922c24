import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corePart as enCore } from './catalogs/en/core';
import { featuresPart as enFeatures } from './catalogs/en/features';
import { formattersFor } from './format';
import { KEPT_IN_CHINESE } from './languages';
import { enCatalog as en, zhCatalog as zh } from '../testing/catalogs';

const areas = ['core', 'features'].flatMap((part) =>
  readdirSync(join(import.meta.dirname, 'catalogs', 'en', part))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ part, area: f.slice(0, -3) })),
);

const kept = new Set(KEPT_IN_CHINESE);

/** Calls a message with parameters that answer anything (numbers as 2, names as "名"). */
function sample(message: unknown): string[] {
  if (typeof message === 'string') return [message];
  const params = new Proxy(
    {},
    {
      get: (_t, prop) =>
        prop === Symbol.toPrimitive ? () => 2 : typeof prop === 'string' ? 2 : undefined,
    },
  );
  try {
    const out = (message as (p: unknown, f: unknown) => unknown)(params, formattersFor('zh-CN'));
    return typeof out === 'string' ? [out] : [];
  } catch {
    return [];
  }
}

describe('the catalogs', () => {
  it('name each key by its area, so that two areas can never define the same key', async () => {
    let total = 0;
    for (const { part, area } of areas) {
      const mod = (await import(`./catalogs/en/${part}/${area}.ts`)) as Record<string, object>;
      const keys = Object.keys(mod[area] ?? {});
      for (const key of keys) expect(key.startsWith(`${area}.`), `${area}: ${key}`).toBe(true);
      total += keys.length;
    }
    expect(total).toBe(Object.keys(en).length);
    expect(Object.keys(enCore).length + Object.keys(enFeatures).length).toBe(total);
  });

  it('hold the same keys in Chinese as in English', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
  });

  it('leave no English word in the Chinese interface (names of products and formats excepted)', () => {
    const english: string[] = [];
    for (const [key, message] of Object.entries(zh)) {
      for (const text of sample(message)) {
        for (const word of text.match(/[A-Za-z]{2,}/g) ?? []) {
          if (!kept.has(word)) english.push(`${key}: ${word}`);
        }
      }
    }
    expect(english).toEqual([]);
  });

  it('are not the English text copied (every Chinese message differs or is a name kept as is)', () => {
    const same = Object.entries(zh)
      .filter(([key, m]) => typeof m === 'string' && m === en[key as keyof typeof en])
      .filter(([, m]) => /[A-Za-z]{2,}/.test(m as string))
      .filter(([, m]) => !(m as string).split(/\W+/).every((w) => !w || kept.has(w)))
      .map(([key]) => key);
    expect(same).toEqual([]);
  });
});
