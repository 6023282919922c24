/**
 * Running work in view (issue 13 part 1): the header's "Running batches" button while a batch is
 * unfinished, its list with progress and links, the notice when the batch ends, and focus on the
 * new batch's heading after a submit.
 */
import { expect, test } from './fixtures';
import { createPausedBatch, unknownIds } from './support/api';
import { axeViolations } from './support/axe';
import { SLOTS } from './support/slots';

test('the header shows an unfinished batch, lists it, and announces its end', async ({
  consolePage: ui,
  emulator,
  page,
  request,
}) => {
  const { workspace, incident } = await emulator.scene(SLOTS.running);
  const id = await createPausedBatch(
    request,
    workspace.id,
    incident.id,
    unknownIds(12_345, 'e2e-running'),
  );

  // Any page: here the History.
  await page.goto('/history');
  const button = page.getByRole('button', { name: /^Running batches \d+$/ });
  await expect(button).toBeVisible();
  await button.click();
  const list = page.getByRole('dialog', { name: /^Running batches/ });
  const link = list.getByRole('link', { name: 'Associate 12,345 alerts' });
  await expect(link).toBeVisible();
  // Paused at once (a first call or two may have gone out before the pause).
  await expect(
    list.getByRole('progressbar', { name: 'Progress of Associate 12,345 alerts' }),
  ).toHaveAttribute('aria-valuenow', /^\d+$/);
  await expect(list).toContainText('% · 12,345 IDs');
  expect(await axeViolations(page)).toEqual([]);

  // The link opens the batch; stopping it there ends it, and the end is announced with a link.
  await link.click();
  await expect(page).toHaveURL(new RegExp(`/batches/${id}$`));
  await ui.stopBatch();
  const notice = page.getByRole('alert').filter({ hasText: 'Associate 12,345 alerts: Stopped' });
  await expect(notice).toBeVisible();
  await expect(notice).toContainText(/[\d,]+ skipped/);
  await expect(notice.getByRole('link', { name: 'Open the batch' })).toHaveAttribute(
    'href',
    `/batches/${id}`,
  );
  expect(await axeViolations(page)).toEqual([]);
  await notice.getByRole('button', { name: 'Close notification' }).click();
  await expect(notice).toHaveCount(0);
});

test('after a submit, focus and scroll move to the new batch’s heading', async ({
  consolePage: ui,
  emulator,
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  const { incident, alerts } = await emulator.scene(SLOTS.runningSubmit);
  await ui.open();
  await ui.chooseSubject('Incidents', incident.title.slice(0, 24), incident.title);
  await ui.chooseRelatedClass('Alerts');
  await ui.pasteIds(alerts.map((a) => a.id).join('\n'));
  const submit = ui.submitButton('Associate');
  await submit.scrollIntoViewIfNeeded();
  await submit.click();
  // The batch's own heading says what it does ("Associate Alerts with incident …").
  const heading = page.getByRole('heading', { level: 2, name: /^Associate Alerts with/ });
  await expect(heading).toBeFocused();
  await expect(heading).toBeInViewport();
  await ui.waitForBatchDone();
});
