/**
 * What every page and dialog of the console must pass, in either language: no English left over
 * in Chinese (data marked translate="no" aside) and no axe violation, in the light and in the dark
 * scheme. The scheme is switched with the header's own toggle, as an analyst switches it.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import type { Language } from '../../src/i18n/languages';
import { axeViolations } from './axe';
import { englishLeft, tr } from './i18n';

export type Scheme = 'light' | 'dark';
const SCHEMES: readonly Scheme[] = ['light', 'dark'];

/** Switches the console to `scheme` with the header's toggle, unless it is in it already. */
export async function useScheme(page: Page, language: Language, scheme: Scheme): Promise<void> {
  const other: Scheme = scheme === 'dark' ? 'light' : 'dark';
  const toScheme = page.getByRole('button', {
    name: tr(language, 'shell.switchTheme', { to: scheme }),
  });
  const toOther = page.getByRole('button', {
    name: tr(language, 'shell.switchTheme', { to: other }),
  });
  await expect(toScheme.or(toOther)).toBeVisible();
  if (await toScheme.isVisible()) await toScheme.click();
  await expect(toOther).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('data-mantine-color-scheme', scheme);
}

/** In Chinese, no English word on the page (in English there is nothing to check). */
async function expectNoEnglishLeft(page: Page, language: Language, what: string) {
  if (language === 'en') return;
  expect(await englishLeft(page), `${what}: English left (${language})`).toEqual([]);
}

/**
 * The page as it is now: no English left (in Chinese), and axe-clean in light and in dark. It
 * starts and ends in the light scheme.
 */
export async function checkPage(page: Page, language: Language, what: string): Promise<void> {
  await expectNoEnglishLeft(page, language, what);
  for (const scheme of SCHEMES) {
    await useScheme(page, language, scheme);
    expect(await axeViolations(page), `${what}: axe (${scheme}, ${language})`).toEqual([]);
  }
  await useScheme(page, language, 'light');
}

/**
 * A dialog (or a popover list), in light and in dark: `open` opens it and returns it, `close`
 * closes it without doing anything (Back, Cancel, Escape). With it fully on screen: no English left
 * (in Chinese) and axe-clean. A dialog covers the header's toggle, so it is opened once per
 * scheme. It starts and ends in the light scheme, with the dialog closed.
 */
export async function checkDialog(
  page: Page,
  language: Language,
  what: string,
  open: () => Promise<Locator>,
  close: (dialog: Locator) => Promise<void>,
): Promise<void> {
  for (const scheme of SCHEMES) {
    await useScheme(page, language, scheme);
    const dialog = await open();
    await expect(dialog).toBeVisible();
    // The opening transition is over: axe reads the colours as the analyst sees them.
    await expect(dialog).toHaveCSS('opacity', '1');
    if (scheme === 'light') await expectNoEnglishLeft(page, language, what);
    expect(await axeViolations(page), `${what}: axe (${scheme}, ${language})`).toEqual([]);
    await close(dialog);
    await expect(dialog).toHaveCount(0);
  }
  await useScheme(page, language, 'light');
}
