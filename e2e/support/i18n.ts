/**
 * The console's words in either language, for specs that run in both: a control is found by the
 * same catalog key the UI renders it from (src/i18n/catalogs), so a spec reads the same in English
 * and in Chinese.
 */
import type { Page } from '@playwright/test';
import type { Catalog, MessageKey } from '../../src/i18n/catalogs/en';
import { formattersFor } from '../../src/i18n/format';
import { KEPT_IN_CHINESE, type Language } from '../../src/i18n/languages';
import type { ParamsOf } from '../../src/i18n/messages';
import { enCatalog, zhCatalog } from '../../src/testing/catalogs';

const catalogs: Record<Language, Catalog> = { en: enCatalog, 'zh-CN': zhCatalog };

/** The message `key` as the console shows it in `language` (strings only). */
export function tr<K extends MessageKey>(
  language: Language,
  key: K,
  ...params: ParamsOf<Catalog[K]>
): string {
  const message = catalogs[language][key] as unknown;
  if (typeof message === 'function') {
    const out = (message as (p: unknown, f: unknown) => unknown)(
      params[0],
      formattersFor(language),
    );
    if (typeof out !== 'string') throw new Error(`${key} is not a plain string message`);
    return out;
  }
  return message as string;
}

/**
 * The text of the message `key` as the page reads it in `language`, for messages built of parts
 * (a button "Associate 8 IDs with incident <title>"): parts given as strings are joined in order.
 */
export function textOf<K extends MessageKey>(
  language: Language,
  key: K,
  ...params: ParamsOf<Catalog[K]>
): string {
  const message = catalogs[language][key] as unknown;
  if (typeof message !== 'function') return message as string;
  const flat = (part: unknown): string => {
    if (typeof part === 'string' || typeof part === 'number') return String(part);
    if (part === null || part === undefined || part === false) return '';
    if (Array.isArray(part)) return part.map(flat).join('');
    throw new Error(`${key}: a part is not text (give its parameters as strings)`);
  };
  return flat((message as (p: unknown, f: unknown) => unknown)(params[0], formattersFor(language)));
}

/** A `tr` bound to one language. */
export function wordsOf(language: Language) {
  return <K extends MessageKey>(key: K, ...params: ParamsOf<Catalog[K]>): string =>
    tr(language, key, ...params);
}

/** Opens the console in `language` from the first page on (the choice it remembers). */
export async function useLanguage(page: Page, language: Language): Promise<void> {
  await page.addInitScript((lang) => {
    window.localStorage.setItem('secmaster-console.language', lang);
  }, language);
}

/**
 * English words left on the page: every text node, and every accessible name, description, title
 * and placeholder, outside elements marked `translate="no"` (IDs, codes and SecMaster's own
 * titles, which stay as they are in any language). An attribute cannot mark a part of itself
 * as data: a name such as "告警 Cobalt Strike beacon（中危）" is checked without the texts the page
 * shows as data (translate="no") elsewhere. Each hit is "word in <tag>: text".
 */
export async function englishLeft(page: Page): Promise<string[]> {
  return page.evaluate(
    (kept) => {
      const allowed = new Set(kept);
      const hits: string[] = [];
      const check = (text: string | null, where: Element) => {
        if (!text) return;
        // A run with a digit in it is an ID, a code or a number (a UUID's "bafc" is no word).
        const words = text
          .split(/\s+/)
          .filter((token) => !/\d/.test(token))
          .flatMap((token) => token.match(/[A-Za-z]{2,}/g) ?? []);
        for (const word of words) {
          if (!allowed.has(word))
            hits.push(`${word} in <${where.tagName.toLowerCase()}>: ${text.trim().slice(0, 80)}`);
        }
      };
      const excluded = (el: Element) => !!el.closest('[translate="no"]');
      // The data the page shows (titles, IDs), longest first, to take out of attribute values.
      const data = [
        ...new Set(
          [...document.body.querySelectorAll('[translate="no"]')]
            .map((el) => el.textContent?.trim() ?? '')
            .filter((text) => text.length > 1),
        ),
      ].sort((a, b) => b.length - a.length);
      const withoutData = (text: string | null) =>
        text === null ? null : data.reduce((rest, d) => rest.split(d).join(' '), text);
      const hidden = (el: Element) => {
        const style = window.getComputedStyle(el);
        return style.display === 'none' || style.visibility === 'hidden';
      };
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (!parent || excluded(parent) || ['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(parent.tagName))
          continue;
        if (hidden(parent) && !parent.closest('[aria-live], [role="status"], [role="alert"]'))
          continue;
        check(node.textContent, parent);
      }
      for (const el of document.body.querySelectorAll(
        '[aria-label], [title], [placeholder], [alt], [aria-description], [aria-roledescription]',
      )) {
        if (excluded(el)) continue;
        for (const attr of [
          'aria-label',
          'title',
          'placeholder',
          'alt',
          'aria-description',
          'aria-roledescription',
        ]) {
          check(withoutData(el.getAttribute(attr)), el);
        }
      }
      // Names given by reference (aria-labelledby) are text nodes, checked above.
      if (
        !document.title.match(/[A-Za-z]{2,}/g)?.every((w) => allowed.has(w)) &&
        /[A-Za-z]{2,}/.test(document.title)
      ) {
        hits.push(`title: ${document.title}`);
      }
      return hits;
    },
    [...KEPT_IN_CHINESE],
  );
}

/**
 * `say('Undo batch')`: the words the console shows for that English text in `language`, found by
 * the catalog key whose English message it is (plain strings only). A spec written with English
 * names runs in any language this way. An English text that different keys translate differently
 * is refused (use `tr` with the key).
 */
export function sayIn(language: Language): (english: string) => string {
  return (english) => {
    if (language === 'en') return english;
    const found = new Set<string>();
    for (const [key, message] of Object.entries(catalogs.en)) {
      if (message !== english) continue;
      const translated = catalogs[language][key as MessageKey];
      if (typeof translated === 'string') found.add(translated);
    }
    if (found.size !== 1) {
      throw new Error(
        found.size === 0
          ? `No catalog message reads "${english}"`
          : `"${english}" has ${found.size} translations: ${[...found].join(' / ')}`,
      );
    }
    return [...found][0]!;
  };
}
