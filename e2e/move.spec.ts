import { expect, test } from './fixtures';
import { axeViolations } from './support/axe';
import { SLOTS } from './support/slots';

test('move 20 alerts from incident A to incident B through the UI, then undo the move', async ({
  consolePage: ui,
  emulator,
  page,
}) => {
  test.setTimeout(120_000);
  const { workspace, incident: a, alerts } = await emulator.scene(SLOTS.move);
  const [b] = await emulator.objects(workspace.id, 'incidents', SLOTS.move.destination, 1);
  if (!b) throw new Error('the seed has no destination incident');
  const ids = alerts.map((x) => x.id);
  expect(ids).toHaveLength(20);
  const linked = (incidentId: string) =>
    emulator.linkedIds(workspace.id, 'incidents', incidentId, 'alerts');
  // Before: the 20 alerts are linked to A and not to B.
  await emulator.writeLinks('link', workspace.id, 'incidents', a.id, 'alerts', ids);
  const atB = (await linked(b.id)).filter((id) => ids.includes(id));
  if (atB.length > 0)
    await emulator.writeLinks('unlink', workspace.id, 'incidents', b.id, 'alerts', atB);

  await ui.open();
  await ui.chooseSubject('Incidents', a.title.slice(0, 24), a.title);
  await ui.chooseRelatedClass('Alerts');
  await ui.pasteIds(ids.join('\n'));
  await page
    .getByRole('radiogroup', { name: 'Action' })
    .getByRole('radio', { name: 'Move' })
    .check();
  await page.getByRole('combobox', { name: 'Destination' }).fill(b.id);
  await expect(page.getByLabel('Destination incident')).toContainText(b.id);
  await page.getByRole('button', { name: 'Move 20 IDs' }).click();

  await expect(page).toHaveURL(/\/moves\/[^/]+$/);
  const counts = page.getByRole('list', { name: 'Counts per result' });
  await expect(counts).toContainText('Moved 20');
  await expect(page.getByRole('progressbar', { name: 'Move progress' })).toHaveCount(0);
  await expect(page.getByRole('table', { name: 'Move items' }).getByRole('row')).toHaveCount(21);
  // Both sides in SecMaster: gone from A, at B.
  expect((await linked(a.id)).filter((id) => ids.includes(id))).toEqual([]);
  expect((await linked(b.id)).filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
  expect(await axeViolations(page)).toEqual([]);
  const moveUrl = page.url();

  // The move page by keyboard: the undo dialog opens from the keyboard, is axe-clean, and Escape
  // gives focus back to "Undo move".
  const undo = page.getByRole('button', { name: 'Undo move' });
  await undo.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Undo this move?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.locator(':focus')).toHaveCount(1);
  expect(await axeViolations(page)).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(undo).toBeFocused();
  await undo.click();
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Confirm undo move' }).click();
  await expect(page).not.toHaveURL(moveUrl);
  await expect(page.getByRole('progressbar', { name: 'Move progress' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: /^Undo of / })).toBeVisible();
  // Both sides again: back at A, gone from B.
  await expect
    .poll(async () => (await linked(a.id)).filter((id) => ids.includes(id)).length)
    .toBe(20);
  expect((await linked(b.id)).filter((id) => ids.includes(id))).toEqual([]);

  // "Move selected" in the subject's current associations opens the move dialog.
  await ui.open();
  await expect(ui.subjectObject).toHaveValue(a.title);
  await ui.currentAssociations.getByRole('checkbox', { name: 'Select page' }).check();
  await ui.currentAssociations.getByRole('button', { name: 'Move selected' }).click();
  const moveDialog = page.getByRole('dialog', { name: 'Move to another subject' });
  await expect(moveDialog.getByRole('combobox', { name: 'Destination' })).toBeVisible();
  await expect(moveDialog.getByRole('button', { name: 'Confirm move' })).toBeDisabled();
  // The list of what moves names each alert by its title, as the table did.
  await expect(
    moveDialog.getByRole('list', { name: 'Alerts to move' }).getByRole('listitem').first(),
  ).toContainText(' · ');
  expect(await axeViolations(page)).toEqual([]);
  // On a phone (390 px) the destination's search list stays inside the window.
  await page.setViewportSize({ width: 390, height: 844 });
  const destination = moveDialog.getByRole('combobox', { name: 'Destination' });
  await destination.fill(b.title.slice(0, 12));
  const options = page.getByRole('listbox');
  await expect(options.getByRole('option').first()).toBeVisible();
  const box = await options.boundingBox();
  if (!box) throw new Error('the list of destinations has no box');
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - innerWidth)).toBe(0);
  await destination.fill('');
  await expect(options).toHaveCount(0);
  await moveDialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(moveDialog).toHaveCount(0);
  // Focus goes back to the button that opened the dialog.
  await expect(ui.currentAssociations.getByRole('button', { name: 'Move selected' })).toBeFocused();
});
