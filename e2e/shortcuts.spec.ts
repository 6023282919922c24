import { expect, test } from './fixtures';
import { axeViolations } from './support/axe';
import { SLOTS } from './support/slots';

const SLOT = SLOTS.shortcuts;

test('"?" lists the shortcuts in an axe-clean dialog; "/" goes to Related IDs, but not while typing', async ({
  consolePage: ui,
  page,
}) => {
  await page.goto('/history');
  await expect(page.getByRole('heading', { name: 'History' })).toBeVisible();
  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeVisible();
  const table = dialog.getByRole('table', { name: 'Keyboard shortcuts' });
  await expect(table.getByRole('row')).toHaveCount(7);
  await expect(table).toContainText('Go to “Related IDs”');
  await expect(table).toContainText('Submit the form you are in');
  expect(await axeViolations(page)).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  // From another page, "/" opens the associate page with the focus in the paste box.
  await page.keyboard.press('/');
  await expect(page).toHaveURL(/\/$/);
  await expect(ui.relatedIds).toBeFocused();

  // From a header link on another page too (the link keeps focus across the navigation).
  await page.goto('/history');
  const historyLink = page.getByRole('link', { name: 'History' });
  await historyLink.focus();
  await expect(historyLink).toBeFocused();
  await page.keyboard.press('/');
  await expect(page).toHaveURL(/\/$/);
  await expect(ui.relatedIds).toBeFocused();

  // In a text field "/" and "?" are text.
  await ui.reason.click();
  await page.keyboard.type('a/b?');
  await expect(ui.reason).toHaveValue('a/b?');
  await expect(ui.reason).toBeFocused();
  await expect(page.getByRole('dialog')).toHaveCount(0);
});

test('Ctrl+Enter asks before a cancel, as the button does, and submits an associate', async ({
  consolePage: ui,
  emulator,
  page,
}) => {
  const { incident, alerts } = await emulator.scene(SLOT);
  await ui.open();
  await ui.chooseSubject('Incidents', incident.title.slice(0, 24), incident.title);
  await ui.chooseRelatedClass('Alerts');
  await ui.pasteIds(alerts.map((a) => a.id).join('\n'));
  await ui.chooseAction('Cancel association');
  await expect(ui.submitButton('Cancel association')).toBeEnabled();

  // With nothing focused, Ctrl+Enter submits the page's form: the cancel asks first.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('Control+Enter');
  const confirm = page.getByRole('dialog', { name: 'Cancel association?' });
  await expect(confirm).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(page).toHaveURL(/\/$/);

  // In the paste box, Ctrl+Enter submits an associate without adding a line.
  await ui.chooseAction('Associate');
  await ui.relatedIds.focus();
  await page.keyboard.press('Control+Enter');
  await expect(page).toHaveURL(/\/batches\/[0-9a-f-]{36}$/);
  await expect(ui.relatedIds).toHaveValue(alerts.map((a) => a.id).join('\n'));
});
