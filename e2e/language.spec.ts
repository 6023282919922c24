/**
 * The console in each language, English and Chinese: the Language choice (remembered across a
 * reload), then the same journey in both — a noisy list linked and checked against the links, its
 * failures retried, links cancelled and the cancel undone, the History; the object page with its
 * graph and dialogs, and the pairs form; a move and its undo; a batch stopped from the running
 * list, with its end notice; the sign-in page. Every page and every dialog on the way is axe-clean
 * in light and in dark, and in Chinese shows no English word (data marked translate="no" aside).
 */
import { signInPort } from '../playwright.config';
import { languageNames, languages } from '../src/i18n/languages';
import { ANY, ConsoleIn, escapeRegExp, named } from './pages/console-in';
import { expect, test } from './fixtures';
import { createPausedBatch, unknownIds } from './support/api';
import { checkPage } from './support/checks';
import { useLanguage, wordsOf } from './support/i18n';
import { SLOTS } from './support/slots';

const UNKNOWN = 'ffffffff-ffff-4fff-8fff-fffffffffffa';

test('an analyst switches to Chinese, and a reload keeps it', async ({ consolePage: ui, page }) => {
  await ui.open();
  // The switch: the header, <html lang> and the tab title follow at once; a reload keeps it.
  await page.getByRole('combobox', { name: 'Language' }).click();
  await page.getByRole('option', { name: '简体中文' }).click();
  await expect(page.getByRole('heading', { name: 'SecMaster 关联控制台' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await page.reload();
  await expect(page.getByRole('combobox', { name: '语言' })).toHaveValue('简体中文');
  await expect(page).toHaveTitle('SecMaster 关联控制台');
  await checkPage(page, 'zh-CN', 'the empty form');
});

for (const language of languages) {
  const w = wordsOf(language);
  const slots = SLOTS.inLanguage[language];

  test.describe(`in ${languageNames[language]}`, () => {
    test.beforeEach(async ({ page }) => {
      await useLanguage(page, language);
    });

    test('the journey: a noisy list linked, failures retried, links cancelled and the cancel undone', async ({
      consolePage,
      emulator,
      page,
    }) => {
      test.setTimeout(240_000);
      const c = new ConsoleIn(consolePage.page, language);
      const { workspace, incident, alerts } = await emulator.scene(slots.journey);
      const { incident: otherIncident } = await emulator.scene({
        incident: slots.journey.otherIncident,
      });
      const ids = alerts.map((a) => a.id);
      const links = () => emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts');
      const before = await links();
      const preLinked = ids.filter((id) => before.includes(id));

      // The form: subject, related class, a noisy paste (an upper-case duplicate, an unknown ID,
      // an incident's ID, a truncated ID) and its summary, then the check against the links.
      await c.open();
      await expect(page.locator('html')).toHaveAttribute('lang', language);
      await c.chooseIncident(incident);
      const pasted = [
        ...ids,
        ids[0]!.toUpperCase(),
        UNKNOWN,
        otherIncident.id,
        ids[1]!.slice(0, 30),
      ].join('\n');
      await c.relatedIds.fill(pasted);
      await expect(
        page.getByText(
          w('associate.pasteSummary', { valid: 8, duplicates: 1, invalid: 1, ignored: 0 }),
        ),
      ).toBeVisible();
      await page.getByRole('button', { name: w('associate.checkLinks') }).click();
      await expect(page.getByRole('status', { name: w('associate.checkSummaryName') })).toHaveText(
        w('associate.checkSummary', {
          linked: preLinked.length,
          notLinked: ids.length - preLinked.length,
          notFound: 2,
        }),
      );
      await c.check('the form and its link check');

      // A cancel from the form asks first; Back sends nothing.
      await c.chooseAction('common.actionCancel');
      await c.checkDialog(
        'the cancel confirmation of the form',
        async () => {
          await c.submit('cancel', 8).click();
          return c.dialog('associate.confirmTitle');
        },
        c.closeWith('common.back'),
      );
      await expect(page).toHaveURL(/\/$/);
      await c.chooseAction('common.actionAssociate');

      // The batch: counts, and the failures with their messages (from their codes).
      await c.submit('associate', 8).click();
      await expect(page).toHaveURL(/\/batches\/[0-9a-f-]{36}$/);
      await c.waitForBatchDone();
      await expect(c.badge('common.itemSucceeded', ids.length - preLinked.length)).toBeVisible();
      await expect(c.badge('common.itemUnchanged', preLinked.length)).toBeVisible();
      await expect(c.badge('common.itemFailed', 2)).toBeVisible();
      await expect(c.badge('common.itemInvalid', 1)).toBeVisible();
      await c.filterByState('common.itemFailed');
      await expect(c.results.getByRole('row').filter({ hasText: UNKNOWN })).toContainText(
        w('common.itemFailed'),
      );
      await expect(c.results.getByRole('row').filter({ hasText: ids[2]! })).toHaveCount(0);
      const linked = await links();
      for (const id of ids) expect(linked).toContain(id);
      await c.check('the batch page');

      // Retry failed: both failures are permanent, so only with them included is there anything
      // to send, as a new batch that points back to this one.
      const first = c.batchId();
      const openRetry = async () => {
        await c.results.getByRole('button', { name: w('batches.retryFailed') }).click();
        const dialog = c.dialog('batches.retryTitle');
        await expect(dialog.getByText(w('batches.retryIncludes', { count: 0 }))).toBeVisible();
        return dialog;
      };
      await c.checkDialog('the retry dialog', openRetry, c.closeWith('batches.back'));
      const retry = await openRetry();
      await expect(retry.getByText(w('batches.leavesOut', { count: 2 }))).toBeVisible();
      await retry.getByRole('checkbox', { name: w('batches.includePermanent') }).check();
      await retry.getByRole('button', { name: w('batches.retryCount', { count: 2 }) }).click();
      await expect(retry).toHaveCount(0);
      await expect(page).not.toHaveURL(new RegExp(first));
      await c.waitForBatchDone();
      await expect(c.badge('common.itemFailed', 2)).toBeVisible();
      await expect(
        page.getByRole('link', { name: c.text('batches.retryOfLink', { id: first.slice(0, 8) }) }),
      ).toHaveAttribute('href', `/batches/${first}`);
      const retried = c.batchId();

      // Cancel the association of two alerts from the subject's current links.
      await expect(
        c.currentAssociations.getByRole('row').filter({ hasText: ids[0]! }),
      ).toBeVisible();
      for (const id of ids.slice(0, 2))
        await c.currentAssociations
          .getByRole('checkbox', { name: w('common.selectRow', { id }) })
          .check();
      const openCancel = async () => {
        await c.currentAssociations
          .getByRole('button', { name: w('relations.cancelSelected', { count: 2 }) })
          .click();
        const dialog = c.dialog('common.cancelQuestion');
        await expect(dialog).toContainText(ids[1]!);
        return dialog;
      };
      await c.checkDialog('the cancel confirmation', openCancel, c.closeWith('common.back'));
      const cancel = await openCancel();
      await cancel.getByRole('button', { name: w('common.confirmCancel') }).click();
      await expect(page).not.toHaveURL(new RegExp(retried));
      await c.waitForBatchDone();
      await expect(c.badge('common.itemSucceeded', 2)).toBeVisible();
      await expect(c.badge('common.itemUnchanged', 0)).toBeVisible();
      const unlinked = await links();
      expect(unlinked).not.toContain(ids[0]);
      expect(unlinked).not.toContain(ids[1]);
      expect(unlinked).toContain(ids[2]);
      const cancelled = c.batchId();

      // Undo the cancel: the two links come back, through a new batch that names the original.
      const openUndo = async () => {
        await c.results.getByRole('button', { name: w('batches.undoBatch') }).click();
        const dialog = c.dialog('batches.undoTitle');
        await expect(
          dialog.getByText(w('batches.willBeReverted', { count: 2, associate: false })),
        ).toBeVisible();
        return dialog;
      };
      await c.checkDialog('the undo dialog', openUndo, c.closeWith('batches.back'));
      const undo = await openUndo();
      await undo.getByRole('button', { name: w('batches.confirmUndo') }).click();
      await expect(undo).toHaveCount(0);
      await expect(page).not.toHaveURL(new RegExp(cancelled));
      await c.waitForBatchDone();
      await expect(c.badge('common.itemSucceeded', 2)).toBeVisible();
      await expect(
        page.getByRole('link', { name: c.text('common.undoOf', { id: cancelled.slice(0, 8) }) }),
      ).toHaveAttribute('href', `/batches/${cancelled}`);
      const relinked = await links();
      for (const id of ids) expect(relinked).toContain(id);
      await c.check('the undo batch page');
      const undone = c.batchId();

      // A reload keeps the batch page and the form, pasted text included.
      const url = page.url();
      await page.reload();
      await expect(page).toHaveURL(url);
      await expect(c.relatedIds).toHaveValue(pasted);
      await c.waitForBatchDone();

      // The History lists the batches of the journey.
      await c.nav.getByRole('link', { name: w('shell.navHistory') }).click();
      const table = page.getByRole('table', { name: w('history.table') });
      for (const id of [first, retried, cancelled, undone])
        await expect(
          table.getByRole('link', { name: w('common.openBatch', { id }) }),
        ).toBeVisible();
      await c.check('the history');
    });

    test('the object page with its graph and dialogs, the pairs form, the keyboard shortcuts', async ({
      consolePage,
      emulator,
      page,
    }) => {
      test.setTimeout(180_000);
      const c = new ConsoleIn(consolePage.page, language);
      const { workspace, incident, alerts } = await emulator.scene(slots.objects);
      const ids = alerts.map((a) => a.id);
      await emulator.writeLinks('link', workspace.id, 'incidents', incident.id, 'alerts', ids);

      await c.open();
      await page.goto(`/objects/incidents/${incident.id}`);
      await expect(page.getByRole('heading', { name: incident.title, exact: true })).toBeVisible();
      const region = page.getByRole('region', {
        name: w('objects.linkedHeading', { plural: w('common.alertsWord') }),
      });
      const firstRow = region.getByRole('table').getByRole('row').nth(1);
      await expect(firstRow).toBeVisible();
      await c.check('the object page');

      // The graph tab.
      await page.getByRole('tab', { name: w('panels.tabGraph') }).click();
      const graph = page.getByRole('region', { name: w('graph.region') });
      await expect(graph.getByRole('group').first()).toBeVisible();
      await c.check('the object page’s graph');
      await page.getByRole('tab', { name: w('panels.tabLinks') }).click();

      // One linked alert selected: the cancel confirmation and the move dialog (nothing sent).
      await firstRow.getByRole('checkbox').check();
      await c.checkDialog(
        'the cancel confirmation of the object page',
        async () => {
          await region
            .getByRole('button', { name: w('objects.cancelSelected', { count: 1 }) })
            .click();
          return c.dialog('common.cancelQuestion');
        },
        c.closeWith('common.back'),
      );
      await c.checkDialog(
        'the move dialog of the object page',
        async () => {
          await region.getByRole('button', { name: w('objects.moveSelected') }).click();
          const dialog = c.dialog('moves.dialogTitle');
          await expect(
            dialog.getByRole('combobox', { name: w('moves.destination') }),
          ).toBeVisible();
          return dialog;
        },
        c.closeWith('common.cancel'),
      );
      const still = await emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts');
      for (const id of ids) expect(still).toContain(id);

      // The pairs form, with a file of four pairs; a cancel of them asks first (nothing sent).
      await c.nav.getByRole('link', { name: w('shell.navPairs') }).click();
      await expect(page).toHaveURL(/\/pairs$/);
      const csv = ['incident_id,alert_id', ...ids.map((id) => `${incident.id},${id}`)].join('\n');
      await page.getByLabel(w('pairs.file'), { exact: true }).setInputFiles({
        name: 'pairs.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(csv),
      });
      await expect(page.getByRole('status', { name: w('pairs.summaryName') })).toHaveText(
        w('pairs.summary', { pairs: 4, subjects: 1, duplicates: 0, invalid: 0 }),
      );
      await c.check('the pairs page');
      await page
        .getByRole('radiogroup', { name: w('pairs.action') })
        .getByRole('radio', { name: w('common.actionCancel'), exact: true })
        .check();
      await c.checkDialog(
        'the cancel confirmation of the pairs form',
        async () => {
          await page
            .getByRole('button', {
              name: w('common.cancelTitle', { what: w('pairs.count', { count: 4 }) }),
            })
            .click();
          return c.dialog('pairs.confirmTitle');
        },
        c.closeWith('common.back'),
      );
      await expect(page).toHaveURL(/\/pairs$/);

      // The keyboard shortcuts ("?", from anywhere but a text field).
      await c.checkDialog(
        'the keyboard shortcuts',
        async () => {
          await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
          await page.keyboard.press('?');
          const dialog = c.dialog('panels.shortcutsTitle');
          await expect(
            dialog.getByRole('table', { name: w('panels.shortcutsTitle') }).getByRole('row'),
          ).toHaveCount(7);
          return dialog;
        },
        () => page.keyboard.press('Escape'),
      );
    });

    test('a move through “Move to another subject”, and its undo', async ({
      consolePage,
      emulator,
      page,
    }) => {
      test.setTimeout(180_000);
      const c = new ConsoleIn(consolePage.page, language);
      const { workspace, incident: a, alerts } = await emulator.scene(slots.move);
      const [b] = await emulator.objects(workspace.id, 'incidents', slots.move.destination, 1);
      if (!b) throw new Error('the seed has no destination incident');
      const ids = alerts.map((x) => x.id);
      const linkedTo = async (incidentId: string) =>
        (await emulator.linkedIds(workspace.id, 'incidents', incidentId, 'alerts')).filter((id) =>
          ids.includes(id),
        );
      // Before: the alerts are linked to A and not to B.
      await emulator.writeLinks('link', workspace.id, 'incidents', a.id, 'alerts', ids);
      const atB = await linkedTo(b.id);
      if (atB.length > 0)
        await emulator.writeLinks('unlink', workspace.id, 'incidents', b.id, 'alerts', atB);

      await c.open();
      await c.chooseIncident(a);
      for (const id of ids)
        await c.currentAssociations
          .getByRole('checkbox', { name: w('common.selectRow', { id }) })
          .check();
      // The dialog with its destination chosen (its card shown).
      const openMove = async () => {
        await c.currentAssociations
          .getByRole('button', { name: w('relations.moveSelected') })
          .click();
        const dialog = c.dialog('moves.dialogTitle');
        await expect(dialog).toContainText(ids[2]!);
        await dialog.getByRole('combobox', { name: w('moves.destination') }).fill(b.id);
        await expect(
          dialog.getByLabel(w('moves.destinationCard', { subject: w('common.incidentWord') })),
        ).toContainText(b.id);
        return dialog;
      };
      await c.checkDialog('the move dialog', openMove, c.closeWith('common.cancel'));
      const move = await openMove();
      await move.getByRole('button', { name: w('moves.confirm') }).click();

      // The move's page: every alert moved, both sides in SecMaster agree.
      await expect(page).toHaveURL(/\/moves\/[^/]+$/);
      await expect(page.getByRole('list', { name: w('moves.countsPerResult') })).toContainText(
        new RegExp(`${escapeRegExp(w('moves.resultMoved'))}\\s*3`),
      );
      await expect(page.getByRole('progressbar', { name: w('moves.progress') })).toHaveCount(0);
      await expect(
        page.getByRole('table', { name: w('moves.items') }).getByRole('row'),
      ).toHaveCount(4);
      expect(await linkedTo(a.id)).toEqual([]);
      expect((await linkedTo(b.id)).sort()).toEqual([...ids].sort());
      await c.check('the move page');

      // Undo the move: a new move puts the alerts back.
      const moveUrl = page.url();
      const undo = page.getByRole('button', { name: w('moves.undo') });
      await c.checkDialog(
        'the undo move dialog',
        async () => {
          await undo.click();
          return c.dialog('moves.undoTitle');
        },
        c.closeWith('moves.back'),
      );
      await undo.click();
      await c
        .dialog('moves.undoTitle')
        .getByRole('button', { name: w('moves.confirmUndo') })
        .click();
      await expect(page).not.toHaveURL(moveUrl);
      await expect(
        page.getByRole('link', { name: named(c.text('common.undoOf', { id: ANY })) }),
      ).toBeVisible();
      await expect.poll(async () => (await linkedTo(a.id)).length).toBe(ids.length);
      expect(await linkedTo(b.id)).toEqual([]);
    });

    test('a batch stopped from the running list, and the notice of its end', async ({
      consolePage,
      emulator,
      page,
      request,
    }) => {
      test.setTimeout(180_000);
      const c = new ConsoleIn(consolePage.page, language);
      const { workspace, incident } = await emulator.scene(slots.stop);
      const count = language === 'en' ? 2_345 : 2_346;
      const id = await createPausedBatch(
        request,
        workspace.id,
        incident.id,
        unknownIds(count, `e2e-stop-${language}`),
      );
      const title = w('common.associateTitle', { what: w('common.alertCount', { count }) });

      // The header's running list, from any page (here the History).
      await page.goto('/history');
      // "Running batches 2" (the words are a part of their own: a narrow bar hides them).
      const [before, after] = c.text('running.button', { words: ANY }).split(ANY);
      const runningName = [before, w('running.buttonWords'), after]
        .map((part) => escapeRegExp(part!.trim()))
        .join('\\s*');
      const running = page.getByRole('button', {
        name: new RegExp(`^${runningName}\\s*\\d+$`),
      });
      const openList = async () => {
        await running.click();
        const list = page.getByRole('dialog', {
          name: new RegExp(`^${runningName}`),
        });
        await expect(list.getByRole('link', { name: title })).toBeVisible();
        return list;
      };
      await c.checkDialog('the running batches list', openList, () =>
        page.keyboard.press('Escape'),
      );
      await (await openList()).getByRole('link', { name: title }).click();
      await expect(page).toHaveURL(new RegExp(`/batches/${id}$`));

      // The paused batch's page, then its stop.
      await expect(
        page.getByRole('button', { name: w('batches.resume'), exact: true }),
      ).toBeVisible();
      await expect(c.progress).toBeVisible();
      await c.check('a paused batch');
      const openStop = async () => {
        await page.getByRole('button', { name: w('batches.stop'), exact: true }).click();
        const dialog = c.dialog('batches.stopTitle');
        await expect(dialog.getByRole('button', { name: w('batches.confirmStop') })).toBeVisible();
        return dialog;
      };
      await c.checkDialog('the stop dialog', openStop, c.closeWith('common.back'));
      await expect(
        page.getByRole('button', { name: w('batches.resume'), exact: true }),
      ).toBeVisible();
      const stop = await openStop();
      await stop.getByRole('button', { name: w('batches.confirmStop') }).click();
      await expect(stop).toHaveCount(0);

      // The end is announced with a link; the stopped batch and its notice pass the checks.
      const notice = page
        .getByRole('alert')
        .filter({ hasText: w('panels.endTitle', { title, state: w('common.batchCancelled') }) });
      await expect(notice).toBeVisible();
      await expect(notice.getByRole('link', { name: w('panels.openBatch') })).toHaveAttribute(
        'href',
        `/batches/${id}`,
      );
      await c.waitForBatchDone();
      await expect(
        c.results
          .getByRole('list', { name: w('batches.countsPerState') })
          .getByText(new RegExp(`^${escapeRegExp(w('common.itemSkipped'))}\\s*[1-9]`)),
      ).toBeVisible();
      await expect(notice).toHaveCSS('opacity', '1');
      await c.check('a stopped batch and its end notice');
      await notice.getByRole('button', { name: w('panels.closeNotice') }).click();
      await expect(notice).toHaveCount(0);
    });

    test('on a phone, the header’s tools behind its menu', async ({ consolePage, page }) => {
      const c = new ConsoleIn(consolePage.page, language);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto('/history');
      await expect(page.getByRole('textbox', { name: w('history.search') })).toBeVisible();
      const menu = page.getByRole('button', { name: w('shell.menu') });
      await menu.click();
      await expect(menu).toHaveAttribute('aria-expanded', 'true');
      await expect(c.nav.getByRole('link', { name: w('shell.navPairs') })).toBeVisible();
      // The theme's toggle is one of the tools: the menu stays open while it is used.
      await c.check('the header’s menu on a phone');
      await expect(menu).toHaveAttribute('aria-expanded', 'true');
    });

    test.describe('the sign-in page', () => {
      test.use({ baseURL: `http://127.0.0.1:${signInPort}` });

      test('reads in the chosen language, with no violation in light and dark', async ({
        page,
      }) => {
        await page.goto('/');
        await expect(
          page.getByRole('button', { name: w('signin.signIn'), exact: true }).first(),
        ).toBeVisible();
        await expect(page.locator('html')).toHaveAttribute('lang', language);
        await checkPage(page, language, 'the sign-in page');
      });
    });
  });
}
