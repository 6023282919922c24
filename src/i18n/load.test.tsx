import { describe, expect, it, vi } from 'vitest';
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

describe('a language that cannot load', () => {
  it('leaves the shown language in charge: the next page loads its words in it', async () => {
    vi.resetModules();
    vi.doMock('./catalogs/zh-CN/core', () => {
      throw new Error('offline');
    });
    const load = await import('./load');
    const i18n = await import('./i18n');
    await load.loadLanguage('en');
    await expect(load.switchLanguage('zh-CN')).rejects.toThrow();
    expect(i18n.currentLanguage()).toBe('en');
    // A lazy page opened after the failed switch gets its words in English, not a second try
    // at the language that failed (which would throw, or switch without being asked).
    await load.ensurePart('features');
    expect(i18n.currentLanguage()).toBe('en');
    expect(i18n.t('associate.relatedIds')).toBe('Related IDs');
    vi.doUnmock('./catalogs/zh-CN/core');
  });
});
