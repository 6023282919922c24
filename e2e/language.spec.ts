/**
 * The console in Chinese: the Language choice (remembered across a reload), the journey of an
 * analyst (form, paste summary, batch, results, retry dialog, history, an object's page, pairs)
 * with every page and dialog checked for English left over (data marked translate="no" aside)
 * and by axe in light and dark; the sign-in page in Chinese too.
 */
import type { Page } from '@playwright/test';
import { signInPort } from '../playwright.config';
import { expect, test } from './fixtures';
import { axeViolations } from './support/axe';
import { englishLeft, sayIn, tr, useLanguage } from './support/i18n';
import { SLOTS } from './support/slots';

const zh = sayIn('zh-CN');

/** No English word and no axe violation, in the light and in the dark scheme. */
async function checkPage(page: Page, what: string) {
  expect(await englishLeft(page), `${what}: English left`).toEqual([]);
  expect(await axeViolations(page), `${what}: axe (light)`).toEqual([]);
  const toDark = page.getByRole('button', {
    name: tr('zh-CN', 'shell.switchTheme', { to: 'dark' }),
  });
  await toDark.click();
  const toLight = page.getByRole('button', {
    name: tr('zh-CN', 'shell.switchTheme', { to: 'light' }),
  });
  await expect(toLight).toBeVisible();
  expect(await axeViolations(page), `${what}: axe (dark)`).toEqual([]);
  await toLight.click();
  await expect(toDark).toBeVisible();
}

test('an analyst switches to Chinese, and the whole journey reads in Chinese', async ({
  consolePage: ui,
  emulator,
  page,
}) => {
  const { incident, alerts } = await emulator.scene(SLOTS.chinese);
  const { incident: otherIncident } = await emulator.scene({
    incident: SLOTS.chinese.otherIncident,
  });
  await ui.open();

  // The switch: the header, <html lang> and the tab title follow at once; a reload keeps it.
  await page.getByRole('combobox', { name: 'Language' }).click();
  await page.getByRole('option', { name: '简体中文' }).click();
  await expect(page.getByRole('heading', { name: 'SecMaster 关联控制台' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await page.reload();
  await expect(page.getByRole('combobox', { name: '语言' })).toHaveValue('简体中文');
  await expect(page).toHaveTitle('SecMaster 关联控制台');

  // The form, in Chinese: subject, related class, a noisy paste and its summary.
  await page.getByLabel(zh('Subject class'), { exact: true }).selectOption({ label: '事件' });
  await page
    .getByRole('combobox', { name: zh('Subject object'), exact: true })
    .fill(incident.title.slice(0, 24));
  await page
    .getByRole('option', { name: new RegExp(incident.title.slice(0, 24)) })
    .first()
    .click();
  await page.getByLabel(zh('Related class'), { exact: true }).selectOption({ label: '告警' });
  const ids = alerts.map((a) => a.id);
  await page
    .getByRole('textbox', { name: zh('Related IDs') })
    .fill(
      [
        ...ids,
        ids[0]!,
        'ffffffff-ffff-4fff-8fff-fffffffffffa',
        otherIncident.id,
        ids[1]!.slice(0, 30),
      ].join('\n'),
    );
  await expect(
    page.getByText(
      tr('zh-CN', 'associate.pasteSummary', { valid: 8, duplicates: 1, invalid: 1, ignored: 0 }),
    ),
  ).toBeVisible();
  await checkPage(page, 'the form');

  // The batch: its header, counts and results in Chinese; per-ID messages from their codes.
  await page.getByRole('button', { name: /^将 8 个 ID 关联到/ }).click();
  await expect(page).toHaveURL(/\/batches\/[0-9a-f-]{36}$/);
  const results = page.getByRole('region', { name: zh('Batch results') });
  await expect(results.getByRole('button', { name: zh('Export CSV') })).toBeVisible();
  await expect(page.getByRole('progressbar', { name: zh('Batch progress') })).toHaveCount(0);
  const counts = results.getByRole('list', { name: zh('Counts per state') });
  await expect(counts.getByText(/^失败\s*2$/)).toBeVisible();
  await expect(counts.getByText(/^无效\s*1$/)).toBeVisible();
  await checkPage(page, 'the batch page');

  // The retry dialog, in Chinese.
  await results.getByRole('button', { name: zh('Retry failed') }).click();
  const retry = page.getByRole('dialog', { name: zh('Retry failed IDs') });
  await expect(retry).toBeVisible();
  await expect(retry.getByRole('button', { name: zh('Close') })).toBeVisible();
  await expect(retry).toHaveCSS('opacity', '1');
  expect(await englishLeft(page), 'the retry dialog').toEqual([]);
  expect(await axeViolations(page), 'the retry dialog (axe)').toEqual([]);
  await retry.getByRole('button', { name: zh('Back') }).click();
  await expect(retry).toHaveCount(0);

  // History, the subject's page and the pairs form.
  await page.getByRole('link', { name: '历史' }).click();
  await expect(page.getByRole('table', { name: zh('Batches') })).toBeVisible();
  await expect(page.getByRole('row').nth(1)).toBeVisible();
  await checkPage(page, 'history');

  await page.goto(`/objects/incidents/${incident.id}`);
  await expect(page.getByRole('heading', { level: 2 }).first()).toBeVisible();
  await expect(page.getByRole('table').first()).toBeVisible();
  await checkPage(page, 'the object page');

  await page.getByRole('link', { name: '配对文件' }).click();
  await expect(page).toHaveURL(/\/pairs$/);
  await expect(page.getByRole('heading', { level: 2 }).first()).toBeVisible();
  await checkPage(page, 'the pairs page');

  // The keyboard shortcuts dialog ("?").
  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('?');
  const shortcuts = page.getByRole('dialog');
  await expect(shortcuts).toBeVisible();
  await expect(shortcuts).toHaveCSS('opacity', '1');
  expect(await englishLeft(page), 'the shortcuts dialog').toEqual([]);
  expect(await axeViolations(page), 'the shortcuts dialog (axe)').toEqual([]);
});

test.describe('the sign-in page', () => {
  test.use({ baseURL: `http://127.0.0.1:${signInPort}` });

  test('reads in Chinese when Chinese was chosen, with no violation in light and dark', async ({
    page,
  }) => {
    await useLanguage(page, 'zh-CN');
    await page.goto('/');
    await expect(page.getByRole('button', { name: zh('Sign in') }).first()).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await checkPage(page, 'sign-in');
  });
});
