import { expect, test } from './fixtures';
import { createBatch } from './support/api';
import { SLOTS } from './support/slots';

const UNKNOWN_A = 'ffffffff-ffff-4fff-8fff-fffffffffff1';
const UNKNOWN_B = 'ffffffff-ffff-4fff-8fff-fffffffffff2';

test('an analyst links a noisy list, retries failures, unlinks some, and finds it all after a reload', async ({
  consolePage: ui,
  emulator,
  page,
}) => {
  const { workspace, incident, alerts } = await emulator.scene(SLOTS.journey);
  const { incident: otherIncident } = await emulator.scene({
    incident: SLOTS.journey.otherIncident,
  });
  const projectId = await emulator.projectId();

  await ui.open();
  await ui.chooseSubject('Incidents', incident.title.slice(0, 24), incident.title);
  await ui.chooseRelatedClass('Alerts');

  // A noisy paste: a console URL, a JSON fragment, CSV-ish lines, upper-case duplicates, words
  // (text: skipped), two malformed IDs (a truncated UUID, one with an "é"), two unknown IDs, an
  // incident ID (wrong class) and the workspace ID.
  const ids = alerts.map((a) => a.id);
  const noisy = [
    `https://console.example.com/secmaster/alerts?id=${ids[0]}&workspace=${workspace.id}`,
    JSON.stringify({ ids: ids.slice(1, 10) }),
    ids.slice(10, 20).join(', '),
    ids.slice(20, 30).join('\t'),
    ids
      .slice(0, 3)
      .map((id) => id.toUpperCase())
      .join(' '),
    `not-an-id; 12345 ${ids[0]!.slice(0, 30)} ${ids[1]!}é`,
    `${UNKNOWN_A} ${UNKNOWN_B}`,
    otherIncident.id,
    projectId,
  ].join('\n');
  await ui.pasteIds(noisy);
  await expect(page.getByText('33 valid · 3 duplicates · 2 invalid')).toBeVisible();

  // The seed already links a few alerts to the incident: those of the pasted ones (if any) are
  // No change (not sent), the others are changed by the batch (Succeeded).
  const before = await emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts');
  const preLinked = ids.filter((id) => before.includes(id));

  await ui.submitButton('Associate').click();
  await expect(page).toHaveURL(/\/batches\/[0-9a-f-]{36}$/);
  await ui.waitForBatchDone();
  await expect(ui.badge('Succeeded')).toHaveText(`Succeeded ${30 - preLinked.length}`);
  await expect(ui.badge('No change')).toHaveText(`No change ${preLinked.length}`);
  await expect(ui.badge('Failed')).toHaveText('Failed 3');
  await expect(ui.badge('Invalid')).toHaveText('Invalid 2');

  // Only the failures, with their message.
  await ui.filterByState(/^Failed/);
  await expect(ui.results.getByRole('row').filter({ hasText: UNKNOWN_A })).toContainText('Failed');
  await expect(ui.results.getByRole('row').filter({ hasText: otherIncident.id })).toBeVisible();
  await expect(ui.results.getByRole('row').filter({ hasText: ids[5]! })).toHaveCount(0);

  // The emulator agrees with the ledger.
  const linked = await emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts');
  for (const id of ids) expect(linked).toContain(id);
  expect(linked).not.toContain(UNKNOWN_A);

  // Retry failed: the three failures are permanent (two IDs not found, an incident's ID that is
  // not an alert), so by default the retry leaves them out and has nothing to send; including
  // permanent failures sends them again, as a new batch that points back to this one.
  const firstBatchId = ui.batchId();
  const retry = await ui.openRetryDialog();
  await expect(retry.getByText('The retry includes 0 IDs')).toBeVisible();
  await expect(retry.getByText('It leaves out 3 IDs')).toBeVisible();
  await expect(retry.getByRole('list', { name: 'Left out of the retry' })).toContainText(
    '3 permanent failures: not found in this workspace, or not an alert',
  );
  await expect(retry.getByRole('status').filter({ hasText: 'Nothing to retry' })).toHaveText(
    'Nothing to retry unless permanent failures are included.',
  );
  await expect(retry.getByRole('button', { name: 'Retry 0 IDs' })).toBeDisabled();
  await retry.getByRole('checkbox', { name: 'Include permanent failures' }).check();
  await retry.getByRole('button', { name: 'Retry 3 IDs' }).click();
  await expect(retry).toHaveCount(0);
  await expect(page).toHaveURL(/\/batches\/[0-9a-f-]{36}$/);
  await expect(page).not.toHaveURL(new RegExp(firstBatchId));
  await ui.waitForBatchDone();
  await expect(ui.badge('Failed')).toHaveText('Failed 3');
  await expect(ui.badge('Succeeded')).toHaveText('Succeeded 0');
  await expect(
    page.getByRole('link', { name: `retry of ${firstBatchId.slice(0, 8)}` }),
  ).toHaveAttribute('href', `/batches/${firstBatchId}`);

  // Current associations list the subject's alerts; cancel a page of them through the dialog.
  await expect(ui.currentAssociations.getByRole('row').filter({ hasText: ids[0]! })).toBeVisible();
  await ui.currentAssociations.getByRole('checkbox', { name: `Select ${ids[0]!}` }).check();
  await ui.currentAssociations.getByRole('checkbox', { name: `Select ${ids[1]!}` }).check();
  await ui.currentAssociations
    .getByRole('button', { name: 'Cancel association of 2 selected' })
    .click();
  await ui.confirmCancel();
  await ui.waitForBatchDone();
  await expect(ui.badge('Succeeded')).toHaveText('Succeeded 2');
  await expect(ui.badge('No change')).toHaveText('No change 0');
  const after = await emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts');
  expect(after).not.toContain(ids[0]);
  expect(after).not.toContain(ids[1]);
  expect(after).toContain(ids[2]);

  // A reload keeps the batch page and the form, pasted text included.
  const cancelBatchUrl = page.url();
  await page.reload();
  await expect(page).toHaveURL(cancelBatchUrl);
  await expect(ui.badge('Succeeded')).toHaveText('Succeeded 2');
  await expect(ui.relatedIds).toHaveValue(noisy);
  await expect(page.getByText('33 valid · 3 duplicates · 2 invalid')).toBeVisible();

  // Before running the list again, the check tells what is linked now (28), what is not (the two
  // just unlinked) and what does not exist as an alert (two unknown IDs and the incident's ID).
  await page.getByRole('button', { name: 'Check against current links' }).click();
  await expect(page.getByRole('status', { name: 'Link check summary' })).toHaveText(
    '28 already linked · 2 not linked yet · 3 not found',
  );
  const notFound = page.getByRole('list', { name: 'Not found' });
  for (const id of [UNKNOWN_A, UNKNOWN_B, otherIncident.id])
    await expect(notFound).toContainText(id);
});

test('cancel association asks for confirmation, and Back sends nothing', async ({
  consolePage: ui,
  emulator,
  page,
}) => {
  const { workspace, incident, alerts } = await emulator.scene(SLOTS.cancelBack);

  await ui.open();
  await ui.chooseSubject('Incidents', incident.title.slice(0, 24), incident.title);
  await ui.chooseRelatedClass('Alerts');
  await ui.pasteIds(alerts.map((a) => a.id).join('\n'));
  await ui.chooseAction('Cancel association');
  await ui.submitButton('Cancel association').click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Back' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page).toHaveURL(/\/$/);

  await ui.submitButton('Cancel association').click();
  await ui.confirmCancel();
  await expect(page).toHaveURL(/\/batches\//);
  await ui.waitForBatchDone();
  // Neither alert was linked: the console reads that before the call and sends nothing, so the
  // batch changes nothing (No change, "was not linked") and there is nothing to undo.
  const ids = alerts.map((a) => a.id);
  expect(
    (await emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts')).filter((id) =>
      ids.includes(id),
    ),
  ).toEqual([]);
  await expect(ui.badge('No change')).toHaveText('No change 2');
  await expect(ui.badge('Succeeded')).toHaveText('Succeeded 0');
  for (const id of ids)
    await expect(ui.results.getByRole('row').filter({ hasText: id })).toContainText(
      'was not linked',
    );
  await expect(ui.results.getByRole('button', { name: 'Undo batch' })).toBeDisabled();
});

test('the History page lists batches and links to them', async ({
  consolePage: ui,
  emulator,
  page,
  request,
}) => {
  const [workspace] = await emulator.workspaces();
  if (!workspace) throw new Error('the emulator has no workspace');
  const [alert] = await emulator.objects(workspace.id, 'alerts', SLOTS.history.alert, 1);
  const indicators = await emulator.objects(
    workspace.id,
    'indicators',
    ...SLOTS.history.indicators,
  );
  if (!alert) throw new Error('no alert to work on');
  const { id } = await createBatch(request, {
    action: 'associate',
    workspace_id: workspace.id,
    dataclass_type: 'alerts',
    data_object_id: alert.id,
    related_dataclass_type: 'indicators',
    ids: indicators.map((i) => i.id),
    reason: 'history e2e',
  });

  await ui.open();
  await page.getByRole('link', { name: 'History' }).click();
  await expect(page).toHaveURL(/\/history$/);
  const row = page.getByRole('row').filter({ hasText: 'history e2e' });
  await expect(row).toBeVisible();
  await row.getByRole('link').first().click();
  await expect(page).toHaveURL(new RegExp(`/batches/${id}$`));
  await expect(ui.results).toBeVisible();
});
