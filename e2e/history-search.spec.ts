import { expect, test } from './fixtures';
import { createBatch } from './support/api';
import { axeViolations } from './support/axe';
import { SLOTS } from './support/slots';

test('a batch is found in the history by an ID it touched, and the filtered history is a link', async ({
  consolePage: ui,
  emulator,
  page,
  request,
}) => {
  const { workspace, incident, alerts } = await emulator.scene(SLOTS.historySearch);
  const ids = alerts.map((a) => a.id);
  const touched = ids[1] ?? '';
  const { id } = await createBatch(request, {
    action: 'associate',
    workspace_id: workspace.id,
    dataclass_type: 'incidents',
    data_object_id: incident.id,
    related_dataclass_type: 'alerts',
    ids,
    reason: 'history search e2e',
  });
  // Another batch on the same subject that does not touch the ID searched.
  const other = await createBatch(request, {
    action: 'cancel',
    workspace_id: workspace.id,
    dataclass_type: 'incidents',
    data_object_id: incident.id,
    related_dataclass_type: 'alerts',
    ids: ids.filter((x) => x !== touched),
    reason: 'history search e2e',
  });
  await ui.openBatch(other.id);
  await ui.waitForBatchDone();

  await ui.openHistory();
  const table = page.getByRole('table', { name: 'Batches' });
  await expect(table.getByRole('link', { name: `Open batch ${other.id}` })).toBeVisible();
  const search = page.getByRole('textbox', { name: 'Search history' });
  await search.fill(touched);
  await expect(page).toHaveURL((url) => url.searchParams.get('q') === touched);
  // The header row and the one batch that touched the ID.
  await expect(table.getByRole('row')).toHaveCount(2);
  await expect(table.getByRole('link', { name: `Open batch ${id}` })).toBeVisible();
  await expect(table.getByRole('link', { name: `Open batch ${other.id}` })).toHaveCount(0);
  await page.getByRole('combobox', { name: 'State' }).selectOption('done');
  await expect(page).toHaveURL((url) => url.searchParams.get('state') === 'done');
  await expect(table.getByRole('link', { name: `Open batch ${id}` })).toBeVisible();

  // The filtered history survives a reload: it is in the URL.
  await page.reload();
  await expect(search).toHaveValue(touched);
  await expect(page.getByRole('combobox', { name: 'State' })).toHaveValue('done');
  await expect(table.getByRole('row')).toHaveCount(2);
  await expect(table.getByRole('link', { name: `Open batch ${id}` })).toBeVisible();
  expect(await axeViolations(page)).toEqual([]);

  // A stopped batch's filter finds nothing for this ID.
  await page.getByRole('combobox', { name: 'State' }).selectOption('cancelled');
  await expect(page.getByText('No batches match these filters')).toBeVisible();
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(page).toHaveURL((url) => url.search === '');
  await expect(search).toHaveValue('');
  await expect(table.getByRole('link', { name: `Open batch ${id}` })).toBeVisible();
});
