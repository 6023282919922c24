import type { Locator } from '@playwright/test';
import { expect, test } from './fixtures';
import { createBatch } from './support/api';
import { SLOTS } from './support/slots';

const WIDTH = 1280;
const HEIGHT = 720;
/** The console's sticky header covers the top of the page. */
const HEADER = 56;

test.use({ viewport: { width: WIDTH, height: HEIGHT } });

async function box(locator: Locator) {
  const b = await locator.boundingBox();
  if (!b) throw new Error('not laid out');
  return b;
}

test('at 1280x720 a batch names its subject and workspace, and its results show a Title column, whole UUIDs, every column and at least 12 rows', async ({
  consolePage: ui,
  emulator,
  page,
  request,
}) => {
  const { workspace, incident, alerts } = await emulator.scene(SLOTS.names);
  const { id } = await createBatch(request, {
    action: 'associate',
    workspace_id: workspace.id,
    dataclass_type: 'incidents',
    data_object_id: incident.id,
    related_dataclass_type: 'alerts',
    ids: alerts.map((a) => a.id),
    reason: 'names e2e',
  });
  await ui.openBatch(id);
  await ui.waitForBatchDone();

  // The header: the subject's title (a link to its page, its ID in the tooltip) and the workspace's name.
  const subject = page.getByRole('link', { name: incident.title, exact: true });
  await expect(subject).toHaveAttribute('title', incident.id);
  await expect(page.getByRole('heading', { level: 2 }).filter({ has: subject })).toBeVisible();
  await expect(page.getByTitle(workspace.id, { exact: true })).toHaveText(workspace.name);

  const table = ui.results.getByRole('table', { name: 'Batch items' });
  const first = alerts[0];
  if (!first) throw new Error('no alert');
  const row = table.getByRole('row').filter({ hasText: first.id });
  // The Title column, read from SecMaster for the rows in view.
  await expect(row.getByRole('cell').nth(1)).toHaveText(first.title);

  // The results box at the bottom of the window: every column and at least 12 whole rows in view.
  await page
    .getByTestId('batch-results-scroll')
    .evaluate((el) => el.scrollIntoView({ block: 'end' }));
  const headers = table.getByRole('columnheader');
  await expect(headers).toHaveText([
    'ID',
    'Title',
    'State',
    'Code',
    'Message',
    'Request ID',
    'Attempts',
  ]);
  for (const header of await headers.all()) {
    const b = await box(header);
    expect(b.x).toBeGreaterThanOrEqual(0);
    expect(b.x + b.width).toBeLessThanOrEqual(WIDTH);
  }
  let whole = 0;
  for (const r of await table.getByRole('row').all()) {
    const b = await box(r);
    if (b.y >= HEADER && b.y + b.height <= HEIGHT) whole++;
  }
  expect(whole).toBeGreaterThanOrEqual(12 + 1); // the header row and 12 result rows
  // A whole UUID fits its cell: nothing of it is cut off.
  const idText = row.getByText(first.id, { exact: true });
  expect(await idText.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
  // Nothing overflows the page sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
    WIDTH,
  );
});
