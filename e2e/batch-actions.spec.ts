import { expect, test } from './fixtures';
import { API_HEADERS, createBatch } from './support/api';
import { SLOTS } from './support/slots';

/** Well-formed IDs SecMaster does not know: each is sent (and rejected), which takes real calls. */
function strangers(n: number, tag: string): string[] {
  return Array.from({ length: n }, (_, i) => `${tag}-${String(i).padStart(28, '0')}`);
}

test('an analyst undoes a batch, and the History links the undo to its original', async ({
  consolePage: ui,
  emulator,
  page,
  request,
}) => {
  const { workspace, incident, alerts } = await emulator.scene(SLOTS.undo);
  const ids = alerts.map((a) => a.id);
  // None of the five is linked yet (the seed links other alerts): the batch changes all five.
  const before = await emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts');
  expect(ids.filter((id) => before.includes(id))).toEqual([]);

  const original = await createBatch(request, {
    action: 'associate',
    workspace_id: workspace.id,
    dataclass_type: 'incidents',
    data_object_id: incident.id,
    related_dataclass_type: 'alerts',
    ids,
    reason: 'undo e2e',
  });

  await ui.openBatch(original.id);
  await ui.waitForBatchDone();
  await expect(ui.badge('Succeeded')).toHaveText('Succeeded 5');
  await expect(ui.badge('No change')).toHaveText('No change 0');
  const linked = await emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts');
  for (const id of ids) expect(linked).toContain(id);

  // The export is the server's streamed download.
  await expect(ui.results.getByRole('button', { name: 'Export CSV' })).toHaveAttribute(
    'href',
    `/api/batches/${original.id}/export?format=csv`,
  );

  await ui.undoBatch('5 IDs will be cancelled');
  // The undo's own pre-read finds all five linked: it changes (unlinks) each of them.
  await expect(page).toHaveURL(/\/batches\/[0-9a-f-]{36}$/);
  await expect(page).not.toHaveURL(new RegExp(original.id));
  await ui.waitForBatchDone();
  await expect(ui.badge('Succeeded')).toHaveText('Succeeded 5');
  await expect(ui.badge('No change')).toHaveText('No change 0');
  const undoLink = page.getByRole('link', { name: `Undo of ${original.id.slice(0, 8)}` });
  await expect(undoLink).toHaveAttribute('href', `/batches/${original.id}`);
  const after = await emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts');
  for (const id of ids) expect(after).not.toContain(id);

  await ui.openHistory();
  const undoRow = page.getByRole('row').filter({ hasText: `Undo of batch ${original.id}` });
  await expect(undoRow).toBeVisible();
  await expect(
    undoRow.getByRole('link', { name: `Undo of ${original.id.slice(0, 8)}` }),
  ).toHaveAttribute('href', `/batches/${original.id}`);
  await undoRow.getByRole('link', { name: `Undo of ${original.id.slice(0, 8)}` }).click();
  await expect(page).toHaveURL(new RegExp(`/batches/${original.id}$`));
});

test('an analyst stops a running batch: unsent IDs are skipped, none is lost', async ({
  consolePage: ui,
  emulator,
  page,
  request,
}) => {
  const { workspace, incident } = await emulator.scene(SLOTS.stop);
  const ids = strangers(50_000, 'e2e-stop');
  const body = {
    action: 'associate',
    workspace_id: workspace.id,
    dataclass_type: 'incidents',
    data_object_id: incident.id,
    related_dataclass_type: 'alerts',
    ids,
    reason: 'stop e2e',
  };

  // The emulator adds no latency: pause at once so the batch is still unfinished in the browser.
  const created = await createBatch(request, body, 'e2e-stop-1');
  expect(created.status).toBe(201);
  const paused = await request.post(`/api/batches/${created.id}/pause`, { headers: API_HEADERS });
  expect(paused.status()).toBe(200);
  // A double submit with the same Idempotency-Key returns the same batch.
  const again = await createBatch(request, body, 'e2e-stop-1');
  expect(again).toEqual({ id: created.id, status: 200 });

  await ui.openBatch(created.id);
  await expect(ui.progress).toBeVisible();
  await ui.batchControl('Resume batch').click();
  await expect(ui.batchControl('Pause batch')).toBeVisible();
  await ui.stopBatch();

  await expect(page.getByText('Stopped', { exact: true })).toBeVisible();
  await expect(page.getByText('Cancelled', { exact: true })).toHaveCount(0);
  await expect(ui.progress).toHaveCount(0);
  await expect(ui.batchControl('Stop batch')).toHaveCount(0);
  await expect(ui.badge('Skipped')).toHaveText(/^Skipped [1-9][\d,]*$/);
  await expect(ui.badge('Pending')).toContainText('0');

  // Every ID is accounted for: the server's export lists each once.
  const exported = await request.get(`/api/batches/${created.id}/export?format=json`);
  expect(exported.headers()['content-disposition']).toContain(`batch-${created.id}.json`);
  const items = (await exported.json()) as { id: string; state: string }[];
  expect(items).toHaveLength(ids.length);
  expect(new Set(items.map((i) => i.id)).size).toBe(ids.length);
  expect(items.some((i) => i.state === 'skipped')).toBe(true);
  expect(items.every((i) => ['failed', 'skipped', 'unknown'].includes(i.state))).toBe(true);
});
