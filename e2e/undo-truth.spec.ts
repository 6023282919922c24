/**
 * Undo reverts what the batch changed, nothing else. IDs already in the asked state before a batch
 * are No change (read before each call, never sent); "Undo batch" makes the inverse call on the
 * Succeeded IDs only, so links that existed before an associate (or were absent before a cancel)
 * are left as they were. Checked against the emulator's own links, before and after.
 */
import type { APIRequestContext } from '@playwright/test';
import { expect, test } from './fixtures';
import { createBatch } from './support/api';
import { SLOTS } from './support/slots';

/** "1 ID was", "3 IDs were": the undo dialog's wording. */
function idsWere(n: number): string {
  return n === 1 ? '1 ID was' : `${n} IDs were`;
}

function idsCount(n: number): string {
  return n === 1 ? '1 ID' : `${n} IDs`;
}

/** A batch's items from the server's export: ID → state. */
async function itemStates(
  request: APIRequestContext,
  batchId: string,
): Promise<Map<string, string>> {
  const res = await request.get(`/api/batches/${batchId}/export?format=json`);
  expect(res.ok()).toBe(true);
  const items = (await res.json()) as { id: string; state: string }[];
  return new Map(items.map((i) => [i.id, i.state]));
}

function sorted(ids: Iterable<string>): string[] {
  return [...ids].sort();
}

test('undoing an associate batch removes only the links it made, not those that were there before', async ({
  consolePage: ui,
  emulator,
  page,
  request,
}) => {
  const { workspace, incident, alerts } = await emulator.scene(SLOTS.undoTruth);
  const ids = alerts.map((a) => a.id);
  const links = () => emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts');

  // Someone links three of the alerts in SecMaster first; read back exactly what is linked now
  // (the seed may link some alerts to this incident too).
  await emulator.writeLinks('link', workspace.id, 'incidents', incident.id, 'alerts', [
    ids[1]!,
    ids[4]!,
    ids[6]!,
  ]);
  const before = await links();
  const preLinked = ids.filter((id) => before.includes(id));
  const notLinked = ids.filter((id) => !before.includes(id));
  expect(preLinked).toEqual(expect.arrayContaining([ids[1], ids[4], ids[6]]));
  expect(notLinked.length).toBeGreaterThan(0);
  const otherLinks = before.filter((id) => !ids.includes(id));

  await ui.open();
  await ui.chooseSubject('Incidents', incident.title.slice(0, 24), incident.title);
  await ui.chooseRelatedClass('Alerts');
  await ui.pasteIds(ids.join('\n'));
  await expect(page.getByText(`${ids.length} valid · 0 duplicates · 0 invalid`)).toBeVisible();
  await ui.submitButton('Associate').click();
  await expect(page).toHaveURL(/\/batches\/[0-9a-f-]{36}$/);
  await ui.waitForBatchDone();
  const original = ui.batchId();

  // Succeeded: the links this batch made; No change: those that were already there.
  await expect(ui.badge('Succeeded')).toHaveText(`Succeeded ${notLinked.length}`);
  await expect(ui.badge('No change')).toHaveText(`No change ${preLinked.length}`);
  await expect(ui.badge('Failed')).toHaveText('Failed 0');
  await expect(ui.badge('Unknown')).toHaveText('Unknown 0');
  for (const id of preLinked) {
    const row = ui.rowsInResults().filter({ hasText: id });
    await expect(row).toContainText('No change');
    await expect(row).toContainText('already linked');
  }
  for (const id of notLinked)
    await expect(ui.rowsInResults().filter({ hasText: id })).toContainText('Succeeded');
  const states = await itemStates(request, original);
  expect(sorted(ids.filter((id) => states.get(id) === 'succeeded'))).toEqual(sorted(notLinked));
  expect(sorted(ids.filter((id) => states.get(id) === 'unchanged'))).toEqual(sorted(preLinked));
  expect(sorted(await links())).toEqual(sorted([...before, ...notLinked]));

  // The undo dialog says what it reverts (the Succeeded IDs) and what it leaves alone.
  const dialog = await ui.openUndoDialog();
  await expect(
    dialog.getByText(`${idsCount(notLinked.length)} will be cancelled`, { exact: true }),
  ).toBeVisible();
  await expect(
    dialog.getByText(
      `${idsWere(preLinked.length)} already linked before this batch (No change): the undo leaves ${preLinked.length === 1 ? 'it as it is' : 'them as they are'}.`,
      { exact: true },
    ),
  ).toBeVisible();
  await expect(dialog.getByText(/changed since this batch/)).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Confirm undo' }).click();
  await expect(dialog).toHaveCount(0);

  await expect(page).toHaveURL(/\/batches\/[0-9a-f-]{36}$/);
  await expect(page).not.toHaveURL(new RegExp(original));
  await ui.waitForBatchDone();
  const undo = ui.batchId();
  await expect(page.getByRole('link', { name: `Undo of ${original.slice(0, 8)}` })).toHaveAttribute(
    'href',
    `/batches/${original}`,
  );
  await expect(ui.badge('Succeeded')).toHaveText(`Succeeded ${notLinked.length}`);
  await expect(ui.badge('No change')).toHaveText('No change 0');
  await expect(ui.badge('Failed')).toHaveText('Failed 0');
  // The undo batch holds exactly the IDs the original changed.
  expect(sorted((await itemStates(request, undo)).keys())).toEqual(sorted(notLinked));

  // SecMaster: the links that existed before are still there, the ones the batch made are gone.
  const after = await links();
  for (const id of preLinked) expect(after, `${id} was linked before the batch`).toContain(id);
  for (const id of notLinked) expect(after, `${id} was linked by the batch`).not.toContain(id);
  expect(sorted(after)).toEqual(sorted(before));
  for (const id of otherLinks) expect(after).toContain(id);
});

test('undoing a cancel batch re-links only the links it removed', async ({
  consolePage: ui,
  emulator,
  page,
  request,
}) => {
  const { workspace, incident, alerts } = await emulator.scene(SLOTS.undoTruthCancel);
  const ids = alerts.map((a) => a.id);
  const links = () => emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts');

  await emulator.writeLinks('link', workspace.id, 'incidents', incident.id, 'alerts', [
    ids[0]!,
    ids[3]!,
    ids[5]!,
    ids[7]!,
  ]);
  const before = await links();
  const linkedBefore = ids.filter((id) => before.includes(id));
  const notLinked = ids.filter((id) => !before.includes(id));
  expect(linkedBefore).toEqual(expect.arrayContaining([ids[0], ids[3], ids[5], ids[7]]));
  expect(notLinked.length).toBeGreaterThan(0);

  const original = await createBatch(request, {
    action: 'cancel',
    workspace_id: workspace.id,
    dataclass_type: 'incidents',
    data_object_id: incident.id,
    related_dataclass_type: 'alerts',
    ids,
    reason: 'undo truth e2e (cancel)',
  });
  await ui.openBatch(original.id);
  await ui.waitForBatchDone();
  await expect(ui.badge('Succeeded')).toHaveText(`Succeeded ${linkedBefore.length}`);
  await expect(ui.badge('No change')).toHaveText(`No change ${notLinked.length}`);
  await expect(ui.badge('Failed')).toHaveText('Failed 0');
  for (const id of notLinked)
    await expect(ui.rowsInResults().filter({ hasText: id })).toContainText('was not linked');
  const states = await itemStates(request, original.id);
  expect(sorted(ids.filter((id) => states.get(id) === 'succeeded'))).toEqual(sorted(linkedBefore));
  expect(sorted(ids.filter((id) => states.get(id) === 'unchanged'))).toEqual(sorted(notLinked));
  const cancelled = await links();
  for (const id of ids) expect(cancelled).not.toContain(id);

  const dialog = await ui.openUndoDialog();
  await expect(
    dialog.getByText(`${idsCount(linkedBefore.length)} will be associated`, { exact: true }),
  ).toBeVisible();
  await expect(
    dialog.getByText(
      `${idsWere(notLinked.length)} not linked before this batch (No change): the undo leaves ${notLinked.length === 1 ? 'it as it is' : 'them as they are'}.`,
      { exact: true },
    ),
  ).toBeVisible();
  await dialog.getByRole('button', { name: 'Confirm undo' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page).not.toHaveURL(new RegExp(original.id));
  await ui.waitForBatchDone();
  await expect(
    page.getByRole('link', { name: `Undo of ${original.id.slice(0, 8)}` }),
  ).toHaveAttribute('href', `/batches/${original.id}`);
  await expect(ui.badge('Succeeded')).toHaveText(`Succeeded ${linkedBefore.length}`);
  await expect(ui.badge('No change')).toHaveText('No change 0');
  expect(sorted((await itemStates(request, ui.batchId())).keys())).toEqual(sorted(linkedBefore));

  // Re-linked: exactly what the cancel removed; the IDs that were not linked stay unlinked.
  const after = await links();
  for (const id of linkedBefore) expect(after, `${id} was unlinked by the batch`).toContain(id);
  for (const id of notLinked) expect(after, `${id} was not linked before`).not.toContain(id);
  expect(sorted(after)).toEqual(sorted(before));
});
