import { describe, expect, it } from 'vitest';
import { currentLanguage, t } from './i18n';
import { ensurePart, loadLanguage, switchLanguage } from './load';

describe('loading a language', () => {
  it('keeps the last language asked for when a lazy part is asked for during the load', async () => {
    // main.tsx starts the route's chunks (which ask for the features part) while the stored
    // language's core part is still loading: the features must come in that language.
    const first = loadLanguage('zh-CN');
    const lazy = ensurePart('features');
    await Promise.all([first, lazy]);
    expect(currentLanguage()).toBe('zh-CN');
    expect(t('shell.language')).toBe('语言');
  });

  it('switches every loaded part and remembers the choice', async () => {
    await switchLanguage('en');
    expect(currentLanguage()).toBe('en');
    expect(t('shell.language')).toBe('Language');
    expect(document.documentElement.lang).toBe('en');
    expect(window.localStorage.getItem('secmaster-console.language')).toBe('en');
    await switchLanguage('zh-CN');
    expect(document.documentElement.lang).toBe('zh-CN');
    expect(window.localStorage.getItem('secmaster-console.language')).toBe('zh-CN');
  });
});
