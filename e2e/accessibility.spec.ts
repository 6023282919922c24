import { expect, test } from './fixtures';
import { createBatch } from './support/api';
import { axeViolations } from './support/axe';
import { SLOTS } from './support/slots';

test('the main screen, in light and dark, has no WCAG A/AA violations', async ({
  consolePage: ui,
  emulator,
  page,
}) => {
  const { incident } = await emulator.scene(SLOTS.a11yForm);
  await ui.open();
  await ui.chooseSubject('Incidents', incident.title.slice(0, 24), incident.title);
  await ui.chooseRelatedClass('Alerts');
  await ui.pasteIds(
    'not-an-id\n' + incident.id.replace(/-/g, '') + '\nffffffff-ffff-4fff-8fff-fffffffffff8',
  );
  await expect(ui.currentAssociations).toBeVisible();
  // The link check's answer is on screen too (its lists use the same colours as the paste's).
  await page.getByRole('button', { name: 'Check against current links' }).click();
  await expect(page.getByRole('status', { name: 'Link check summary' })).toContainText('not found');
  await expect(page.getByRole('list', { name: 'Not found' })).toBeVisible();
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
  const { workspace, incident, alerts } = await emulator.scene(SLOTS.a11yBatch);
  const { id } = await createBatch(request, {
    action: 'associate',
    workspace_id: workspace.id,
    dataclass_type: 'incidents',
    data_object_id: incident.id,
    related_dataclass_type: 'alerts',
    ids: [...alerts.map((a) => a.id), 'bad-token', 'ffffffff-ffff-4fff-8fff-fffffffffff9'],
  });
  await page.goto(`/batches/${id}`);
  await ui.waitForBatchDone();
  expect(await axeViolations(page)).toEqual([]);

  await page.getByRole('link', { name: 'History' }).click();
  await expect(page.getByRole('row').nth(1)).toBeVisible();
  expect(await axeViolations(page)).toEqual([]);
});
