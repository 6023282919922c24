import { expect, test } from './fixtures';
import { axeViolations } from './support/axe';
import { SLOTS } from './support/slots';

test('find an alert by ID, then pivot to its incident and to one of its indicators', async ({
  consolePage: ui,
  emulator,
  page,
}) => {
  // A seeded incident with alerts and indicators linked to it (the seed is deterministic).
  const [workspace] = await emulator.workspaces();
  if (!workspace) throw new Error('the emulator has no workspace');
  const [offset, count] = SLOTS.objects.incidents;
  const candidates = await emulator.objects(workspace.id, 'incidents', offset, count);
  let scene: {
    incident: { id: string; title: string };
    alert: string;
    indicators: string[];
  } | null = null;
  for (const incident of candidates) {
    const alerts = await emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts');
    const indicators = await emulator.linkedIds(
      workspace.id,
      'incidents',
      incident.id,
      'indicators',
    );
    if (alerts[0] && indicators.length > 0) {
      scene = { incident, alert: alerts[0], indicators };
      break;
    }
  }
  if (!scene) throw new Error('no seeded incident with both alerts and indicators');

  await ui.open();
  const find = page.getByRole('combobox', { name: 'Find an object' });
  await find.fill(scene.alert);
  await expect(
    page.getByRole('option', { name: new RegExp(`^alert .* ${scene.alert}$`) }),
  ).toBeVisible();
  await find.press('Enter');
  await expect(page).toHaveURL(`/objects/alerts/${scene.alert}`);

  // The link shows from the alert's end too: pivot to the incident.
  const linkedIncidents = page.getByRole('region', { name: 'Linked incidents' });
  await linkedIncidents.getByRole('link', { name: scene.incident.title, exact: true }).click();
  await expect(page).toHaveURL(`/objects/incidents/${scene.incident.id}`);
  await expect(
    page.getByRole('heading', { name: scene.incident.title, exact: true }),
  ).toBeVisible();
  const linkedIndicators = page.getByRole('region', { name: 'Linked indicators' });
  await expect(linkedIndicators.getByRole('row')).toHaveCount(1 + scene.indicators.length);
  await expect(
    page
      .getByRole('region', { name: 'Linked alerts' })
      .locator(`a[href="/objects/alerts/${scene.alert}"]`),
  ).toBeVisible();

  // The page's URL is the object: a reload shows it again.
  await page.reload();
  await expect(
    page.getByRole('heading', { name: scene.incident.title, exact: true }),
  ).toBeVisible();
  await expect(linkedIndicators.getByRole('row')).toHaveCount(1 + scene.indicators.length);
  await expect(page.getByRole('region', { name: 'Batches on this object' })).toBeVisible();
  expect(await axeViolations(page)).toEqual([]);

  const indicatorLink = linkedIndicators.getByRole('table').getByRole('link').first();
  const href = await indicatorLink.getAttribute('href');
  expect(scene.indicators.map((id) => `/objects/indicators/${id}`)).toContain(href);
  await indicatorLink.click();
  await expect(page).toHaveURL(href ?? '');
  await expect(
    page
      .getByRole('region', { name: 'Linked incidents' })
      .getByRole('link', { name: scene.incident.title, exact: true }),
  ).toBeVisible();
});

test('the object page by keyboard: a selection over two pages is listed in the confirmation; dialogs return focus and are axe-clean', async ({
  consolePage: ui,
  emulator,
  page,
}) => {
  const { workspace, incident, alerts } = await emulator.scene(SLOTS.objectsKeyboard);
  await emulator.writeLinks(
    'link',
    workspace.id,
    'incidents',
    incident.id,
    'alerts',
    alerts.map((a) => a.id),
  );
  await ui.open();
  await page.goto(`/objects/incidents/${incident.id}`);
  await expect(page.getByRole('heading', { name: incident.title, exact: true })).toBeVisible();

  // The tabs follow the arrow keys.
  const linksTab = page.getByRole('tab', { name: 'Links' });
  await linksTab.focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Graph' })).toBeFocused();
  await expect(page.getByRole('tab', { name: 'Graph' })).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowLeft');
  await expect(linksTab).toHaveAttribute('aria-selected', 'true');

  const region = page.getByRole('region', { name: 'Linked alerts' });
  const rowBoxes = region.getByRole('table').getByRole('checkbox', { name: /^Select (?!page)/ });
  await expect(rowBoxes.first()).toBeVisible();
  // From "Link more", Tab reaches the page's checkbox, then the first row's; Space selects.
  await region.getByRole('link', { name: 'Link more' }).focus();
  await page.keyboard.press('Tab');
  await expect(
    region.getByRole('checkbox', { name: 'Select page of linked alerts' }),
  ).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(rowBoxes.first()).toBeFocused();
  const firstName = (await rowBoxes.first().getAttribute('aria-label')) ?? '';
  await page.keyboard.press('Space');
  await expect(rowBoxes.first()).toBeChecked();

  // Page 2 by keyboard, and one more there.
  await region.getByRole('button', { name: 'Page 2' }).focus();
  await page.keyboard.press('Enter');
  await expect(rowBoxes.first()).not.toHaveAttribute('aria-label', firstName);
  const secondName = (await rowBoxes.first().getAttribute('aria-label')) ?? '';
  await rowBoxes.first().focus();
  await page.keyboard.press('Space');
  await expect(rowBoxes.first()).toBeChecked();

  // The confirmation lists both, focuses "Back", and Escape gives focus back to its button.
  const cancel = region.getByRole('button', { name: 'Cancel association of 2 selected' });
  await cancel.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Cancel association?' });
  await expect(dialog.getByRole('button', { name: 'Back' })).toBeFocused();
  const listed = dialog.getByRole('list', { name: 'Alerts to unlink' }).getByRole('listitem');
  await expect(listed).toHaveCount(2);
  await expect(listed.first()).toContainText(firstName.replace(/^Select /, ''));
  await expect(listed.nth(1)).toContainText(secondName.replace(/^Select /, ''));
  expect(await axeViolations(page)).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(cancel).toBeFocused();

  // The move dialog the same way (nothing is moved).
  const moveSelected = region.getByRole('button', { name: 'Move selected' });
  await moveSelected.focus();
  await page.keyboard.press('Enter');
  const moveDialog = page.getByRole('dialog', { name: 'Move to another subject' });
  await expect(moveDialog.getByRole('combobox', { name: 'Destination' })).toBeVisible();
  await expect(
    moveDialog.getByRole('list', { name: 'Alerts to move' }).getByRole('listitem'),
  ).toHaveCount(2);
  expect(await axeViolations(page)).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(moveDialog).toHaveCount(0);
  await expect(moveSelected).toBeFocused();
  expect(
    (await emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts')).length,
  ).toBeGreaterThanOrEqual(25);
});
