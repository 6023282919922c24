import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { API_HEADERS, createBatch } from './support/api';
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

/**
 * Opens a dialog with `opener`, checks what every dialog of the console must have (a named close
 * button, the first focus on the safe choice "Back"), waits until `ready` and the opening
 * transition are over, runs axe with it on screen, then closes it with Back: the focus goes back
 * to `focusAfter` (the opener unless told).
 */
async function axeWithDialog(
  page: Page,
  opener: Locator | (() => Promise<void>),
  ready: (dialog: Locator) => Promise<void>,
  focusAfter: Locator | null = typeof opener === 'function' ? null : opener,
) {
  if (typeof opener === 'function') await opener();
  else await opener.click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Close', exact: true })).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Back', exact: true })).toBeFocused();
  await ready(dialog);
  await expect(dialog).toHaveCSS('opacity', '1');
  expect(await axeViolations(page)).toEqual([]);
  await dialog.getByRole('button', { name: 'Back', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  if (focusAfter) await expect(focusAfter).toBeFocused();
}

async function switchToDark(page: Page) {
  await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  await expect(page.getByRole('button', { name: 'Switch to light theme' })).toBeVisible();
}

test('the cancel confirmation, in light and dark, has no violations; Enter never submits, Ctrl+Enter asks', async ({
  consolePage: ui,
  emulator,
  page,
  request,
}) => {
  const { incident, alerts } = await emulator.scene(SLOTS.a11yCancelDialog);
  await ui.open();
  await ui.chooseSubject('Incidents', incident.title.slice(0, 24), incident.title);
  await ui.chooseRelatedClass('Alerts');
  await ui.pasteIds(alerts.map((a) => a.id).join('\n'));
  await expect(ui.submitButton('Associate')).toBeEnabled();
  // Enter in a single-line field is not the browser's implicit submission here.
  await ui.reason.fill('a11y');
  await ui.reason.press('Enter');
  await ui.subjectObject.press('Enter');

  await ui.chooseAction('Cancel association');
  await expect(ui.submitButton('Cancel association')).toBeEnabled();
  const confirmation = async (dialog: Locator) => {
    await expect(dialog.getByRole('button', { name: 'Confirm cancel association' })).toBeVisible();
  };
  // Ctrl+Enter from the Reason field asks first; Back gives the focus back to the field.
  await axeWithDialog(page, () => ui.reason.press('Control+Enter'), confirmation, ui.reason);
  await switchToDark(page);
  await axeWithDialog(page, ui.submitButton('Cancel association'), confirmation);

  // Nothing was sent: no batch for this subject, and the page shows no batch.
  await expect(page).toHaveURL(/\/$/);
  const history = await request.get('/api/batches?offset=0&limit=100');
  expect(history.ok()).toBe(true);
  const { items } = (await history.json()) as { items: { data_object_id: string }[] };
  expect(items.filter((b) => b.data_object_id === incident.id)).toEqual([]);
});

test('the Undo and Retry dialogs, in light and dark, have no violations', async ({
  consolePage: ui,
  emulator,
  page,
  request,
}) => {
  const { workspace, incident, alerts } = await emulator.scene(SLOTS.a11yBatchDialogs);
  // The unknown ID fails (not found): something to retry; the alerts succeed: something to undo.
  const { id } = await createBatch(request, {
    action: 'associate',
    workspace_id: workspace.id,
    dataclass_type: 'incidents',
    data_object_id: incident.id,
    related_dataclass_type: 'alerts',
    ids: [...alerts.map((a) => a.id), 'ffffffff-ffff-4fff-8fff-fffffffffffb'],
  });
  await ui.openBatch(id);
  await ui.waitForBatchDone();
  const undo = ui.results.getByRole('button', { name: 'Undo batch', exact: true });
  const retry = ui.results.getByRole('button', { name: 'Retry failed', exact: true });
  // Each waits for its preview from the server (GET /undo-preview, GET /retry-preview).
  const undoReady = async (dialog: Locator) => {
    await expect(dialog.getByText(/IDs? will be cancelled/)).toBeVisible();
    await expect(dialog.getByRole('alert')).toHaveCount(0);
  };
  const retryReady = async (dialog: Locator) => {
    await expect(dialog.getByRole('button', { name: /^Retry [\d,]+ IDs?$/ })).toBeVisible();
    await expect(dialog.getByRole('alert')).toHaveCount(0);
  };
  for (const scheme of ['light', 'dark']) {
    if (scheme === 'dark') await switchToDark(page);
    await axeWithDialog(page, undo, undoReady);
    await axeWithDialog(page, retry, retryReady);
  }
});

test('the Stop batch confirmation, in light and dark, has no violations', async ({
  consolePage: ui,
  emulator,
  page,
  request,
}) => {
  const { workspace, incident } = await emulator.scene(SLOTS.a11yStopDialog);
  // Well-formed IDs SecMaster does not know, paused at once: a batch that is still unfinished.
  const ids = Array.from(
    { length: 20_000 },
    (_, i) => `e2e-a11y-stop-${String(i).padStart(20, '0')}`,
  );
  const { id } = await createBatch(request, {
    action: 'associate',
    workspace_id: workspace.id,
    dataclass_type: 'incidents',
    data_object_id: incident.id,
    related_dataclass_type: 'alerts',
    ids,
  });
  const paused = await request.post(`/api/batches/${id}/pause`, { headers: API_HEADERS });
  expect(paused.status()).toBe(200);
  await ui.openBatch(id);
  const stop = ui.batchControl('Stop batch');
  const ready = async (dialog: Locator) => {
    await expect(dialog.getByRole('button', { name: 'Confirm stop' })).toBeVisible();
  };
  await axeWithDialog(page, stop, ready);
  await switchToDark(page);
  await axeWithDialog(page, stop, ready);
  // Still paused: Back changed nothing. Then stopped, so that nothing is left running.
  await expect(ui.batchControl('Resume batch')).toBeVisible();
  const stopped = await request.post(`/api/batches/${id}/stop`, { headers: API_HEADERS });
  expect(stopped.status()).toBe(200);
});
