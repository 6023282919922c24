import { faultsPort } from '../playwright.config';
import { expect, test } from './fixtures';
import { SLOTS } from './support/slots';

// This console's emulator answers 500s, 429s, gateway throttling, hung calls and calls that apply
// and then hang, on a fixed seed (playwright.config.ts).
test.use({ baseURL: `http://127.0.0.1:${faultsPort}` });

const UNKNOWN = 'ffffffff-ffff-4fff-8fff-fffffffffffa';

test('under injected faults a batch shows progress and ends with a per-ID table that matches SecMaster', async ({
  consolePage: ui,
  emulator,
  page,
  request,
}) => {
  const { workspace, incident, alerts } = await emulator.scene(SLOTS.faults);
  const ids = alerts.map((a) => a.id);

  await ui.open();
  await ui.chooseSubject('Incidents', incident.title.slice(0, 24), incident.title);
  await ui.chooseRelatedClass('Alerts');
  await ui.pasteIds([...ids, UNKNOWN].join('\n'));
  await expect(page.getByText('1001 valid · 0 duplicates · 0 invalid')).toBeVisible();
  // Alerts the seed already links to the incident are No change (read before each call, not
  // sent); every other alert is changed by this batch, faults or not.
  const before = new Set(
    await emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts'),
  );
  const preLinked = new Set(ids.filter((id) => before.has(id)));
  await ui.submitButton('Associate').click();

  await expect(ui.progress).toBeVisible();
  await ui.waitForBatchDone();
  await expect(ui.badge('Succeeded')).toHaveText(
    `Succeeded ${(1000 - preLinked.size).toLocaleString('en-US')}`,
  );
  await expect(ui.badge('No change')).toHaveText(`No change ${preLinked.size}`);
  await expect(ui.badge('Failed')).toHaveText('Failed 1');
  await expect(ui.badge('Unknown')).toHaveText('Unknown 0');
  await ui.filterByState(/^Failed/);
  const failedRow = ui.results.getByRole('row').filter({ hasText: UNKNOWN });
  await expect(failedRow).toContainText('not found in this workspace');

  // The ledger equals SecMaster's state: every succeeded ID is linked and was not before, every
  // No change ID was linked before and still is, the unknown one is not linked.
  const batchId = new URL(page.url()).pathname.split('/').pop() ?? '';
  const exported = await request.get(`/api/batches/${batchId}/export?format=json`);
  expect(exported.ok()).toBe(true);
  const items = (await exported.json()) as { id: string; state: string; attempts: number }[];
  expect(items).toHaveLength(1001);
  expect(new Set(items.map((i) => i.id)).size).toBe(1001);
  const linked = new Set(
    await emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts'),
  );
  for (const item of items) {
    const expected = preLinked.has(item.id)
      ? 'unchanged'
      : item.id === UNKNOWN
        ? 'failed'
        : 'succeeded';
    expect(item.state, item.id).toBe(expected);
    expect(linked.has(item.id), item.id).toBe(item.id !== UNKNOWN);
  }
  // Faults were really injected: some IDs needed more than one attempt.
  expect(items.some((i) => i.attempts > 1)).toBe(true);
});
