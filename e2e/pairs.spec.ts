import { expect, test } from './fixtures';
import { axeViolations } from './support/axe';
import { SLOTS } from './support/slots';

test('a pairs file of three subjects, run from the Pairs page: the results show the three subjects', async ({
  consolePage: ui,
  emulator,
  page,
}) => {
  const [workspace] = await emulator.workspaces();
  if (!workspace) throw new Error('the emulator has no workspace');
  const incidents = await emulator.objects(workspace.id, 'incidents', ...SLOTS.pairs.incidents);
  const alerts = await emulator.objects(workspace.id, 'alerts', ...SLOTS.pairs.alerts);
  expect(incidents).toHaveLength(3);
  // Two alerts per incident.
  const pairs = alerts.map((alert, i) => ({
    subject: incidents[Math.floor(i / 2)]!.id,
    id: alert.id,
  }));
  const csv = ['incident_id,alert_id', ...pairs.map((p) => `${p.subject},${p.id}`)].join('\n');

  await ui.open();
  await page.getByRole('link', { name: 'Pairs' }).click();
  await expect(page).toHaveURL(/\/pairs$/);
  await page.getByLabel('Pairs file').setInputFiles({
    name: 'pairs.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv),
  });
  await expect(page.getByRole('status', { name: 'Pairs summary' })).toHaveText(
    '6 pairs · 3 subjects · 0 duplicates · 0 invalid',
  );
  expect(await axeViolations(page)).toEqual([]);
  await page.getByRole('button', { name: 'Associate 6 pairs' }).click();

  await expect(page).toHaveURL(/\/batches\/[^/]+$/);
  await ui.waitForBatchDone();
  await expect(page.getByText(/with 3 subjects/)).toBeVisible();
  const table = ui.results.getByRole('table', { name: 'Batch items' });
  await expect(table.getByRole('columnheader', { name: 'Subject' })).toBeVisible();
  // The Subject column names each subject by its title once read, its ID in the cell's tooltip.
  for (const incident of incidents) {
    const rows = table
      .getByRole('row')
      .filter({ has: page.getByTitle(incident.id, { exact: true }) });
    await expect(rows).toHaveCount(2);
    await expect(rows.first()).toContainText(incident.title);
  }
  for (const incident of incidents) {
    const linked = await emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts');
    const mine = pairs.filter((p) => p.subject === incident.id).map((p) => p.id);
    expect(mine.every((id) => linked.includes(id))).toBe(true);
  }
});
