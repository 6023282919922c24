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
