/**
 * The console's languages. English is the default; the analyst's choice is remembered in this
 * browser (localStorage) and `<html lang>` follows it.
 */
export const languages = ['en', 'zh-CN'] as const;
export type Language = (typeof languages)[number];

/** Each language named in itself (what a reader of that language looks for in the list). */
export const languageNames: Record<Language, string> = {
  en: 'English',
  'zh-CN': '简体中文',
};

const STORAGE_KEY = 'secmaster-console.language';

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (languages as readonly string[]).includes(value);
}

/** The remembered choice, else English. */
export function storedLanguage(): Language {
  try {
    const v = window.localStorage.getItem(STORAGE_KEY);
    return isLanguage(v) ? v : 'en';
  } catch {
    return 'en';
  }
}

export function rememberLanguage(language: Language): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // Storage full or refused: the choice holds for this page only.
  }
}

/**
 * Latin words the Chinese interface keeps, as the Chinese SecMaster console writes them: product
 * and protocol names, file formats, key names. Everything else is translated (IDs, codes and
 * SecMaster's own titles are data, marked `translate="no"` where they are shown).
 */
export const KEPT_IN_CHINESE: readonly string[] = [
  'SecMaster',
  'ID',
  'IDs',
  'CSV',
  'JSON',
  'IAM',
  'AK',
  'SK',
  'HTTP',
  'URL',
  'API',
  'UUID',
  'Ctrl',
  'Enter',
  'Esc',
  'Escape',
  'Tab',
  'Shift',
  'Alt',
  'Cmd',
];
