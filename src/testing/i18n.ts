/**
 * Component tests in Chinese: `inChinese()` makes the whole zh-CN catalog current (each test
 * starts in English again, see setup-i18n.ts); `englishWordsIn` lists the English words an element
 * still shows (text, and names, titles and placeholders), outside `translate="no"` data.
 */
import { act } from '@testing-library/react';
import { setCatalog } from '../i18n/i18n';
import { KEPT_IN_CHINESE } from '../i18n/languages';
import { zhCatalog } from './catalogs';

export function inChinese(): void {
  act(() => setCatalog('zh-CN', zhCatalog));
}

const ATTRIBUTES = ['aria-label', 'title', 'placeholder', 'alt', 'aria-description'];

export function englishWordsIn(root: Element = document.body): string[] {
  const kept = new Set(KEPT_IN_CHINESE);
  const hits: string[] = [];
  const check = (text: string | null, where: Element) => {
    // A run with a digit in it is an ID, a code or a number (a UUID's "bafc" is no word).
    const words = (text ?? '')
      .split(/\s+/)
      .filter((token) => !/\d/.test(token))
      .flatMap((token) => token.match(/[A-Za-z]{2,}/g) ?? []);
    for (const word of words) {
      if (!kept.has(word))
        hits.push(`${word} (<${where.tagName.toLowerCase()}> ${text?.trim().slice(0, 60)})`);
    }
  };
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('[translate="no"]') || parent.tagName === 'STYLE') continue;
    check(node.textContent, parent);
  }
  for (const el of root.querySelectorAll(ATTRIBUTES.map((a) => `[${a}]`).join(','))) {
    if (el.closest('[translate="no"]')) continue;
    for (const a of ATTRIBUTES) check(el.getAttribute(a), el);
  }
  return hits;
}
