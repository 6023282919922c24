import { expect, test } from './fixtures';
import { axeViolations } from './support/axe';

test('the main screen, in light and dark, has no WCAG A/AA violations', async ({
  consolePage: ui,
  emulator,
  page,
}) => {
  const [workspace] = await emulator.workspaces();
  if (!workspace) throw new Error('the emulator has no workspace');
  const [incident] = await emulator.objects(workspace.id, 'incidents', 170, 1);
  if (!incident) throw new Error('no incident');
  await ui.open();
  await ui.chooseSubject('Incidents', incident.title.slice(0, 24), incident.title);
  await ui.chooseRelatedClass('Alerts');
  await ui.pasteIds('not-an-id\n' + incident.id.replace(/-/g, ''));
  await expect(ui.currentAssociations).toBeVisible();
  expect(await axeViolations(page)).toEqual([]);

  await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  await expect(page.getByRole('button', { name: 'Switch to light theme' })).toBeVisible();
  expect(await axeViolations(page)).toEqual([]);
});

test('a batch page and the history page have no WCAG A/AA violations', async ({
  consolePage: ui,
  emulator,
  page,
  request,
}) => {
  const [workspace] = await emulator.workspaces();
  if (!workspace) throw new Error('the emulator has no workspace');
  const [incident] = await emulator.objects(workspace.id, 'incidents', 171, 1);
  const alerts = await emulator.objects(workspace.id, 'alerts', 1900, 5);
  if (!incident) throw new Error('no incident');
  const created = await request.post('/api/batches', {
    headers: { 'X-Requested-With': 'e2e' },
    data: {
      action: 'associate',
      workspace_id: workspace.id,
      dataclass_type: 'incidents',
      data_object_id: incident.id,
      related_dataclass_type: 'alerts',
      ids: [...alerts.map((a) => a.id), 'bad-token', 'ffffffff-ffff-4fff-8fff-fffffffffff9'],
    },
  });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  await page.goto(`/batches/${id}`);
  await ui.waitForBatchDone();
  expect(await axeViolations(page)).toEqual([]);

  await page.getByRole('link', { name: 'History' }).click();
  await expect(page.getByRole('row').nth(1)).toBeVisible();
  expect(await axeViolations(page)).toEqual([]);
});
