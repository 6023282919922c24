/**
 * Any screen size (issue 13 part 3): at 390x844 (a phone), 1280x720 and 1440x900 no page is wider
 * than the window; on a phone the header's tools fold behind "Menu", the connection badge keeps
 * its words, and the form and the batch stack; from 1600 px (checked at 1680x1050) they sit side by
 * side.
 */
import type { APIRequestContext, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import {
  API_HEADERS,
  associateAlerts,
  createBatch,
  createPausedBatch,
  unknownIds,
} from './support/api';
import { axeViolations } from './support/axe';
import { SLOTS } from './support/slots';

const SIZES = [
  { width: 390, height: 844 },
  { width: 1280, height: 720 },
  { width: 1440, height: 900 },
  { width: 1680, height: 1050 },
] as const;

/** How far the document is wider than the window (0 when nothing overflows sideways). */
function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** A small finished batch (shared: created once by its idempotency key). */
async function smallBatch(
  request: APIRequestContext,
  workspaceId: string,
  incidentId: string,
  ids: string[],
) {
  return createBatch(request, associateAlerts(workspaceId, incidentId, ids), 'e2e-layout-small');
}

for (const size of SIZES) {
  test(`no page overflows sideways at ${size.width}x${size.height}`, async ({
    emulator,
    page,
    request,
  }) => {
    const { workspace, incident, alerts } = await emulator.scene(SLOTS.layout);
    const small = await smallBatch(
      request,
      workspace.id,
      incident.id,
      alerts.map((a) => a.id),
    );
    const other = await emulator.scene(SLOTS.layoutPaused);
    // The header's widest state ("Running batches") is on: a paused batch of this test's own.
    const paused = await createPausedBatch(
      request,
      workspace.id,
      other.incident.id,
      unknownIds(20_000, 'e2e-layout'),
    );
    await page.setViewportSize(size);
    const pages = [
      { path: '/', ready: page.getByRole('heading', { name: 'Link or unlink objects' }) },
      { path: '/history', ready: page.getByRole('textbox', { name: 'Search history' }) },
      { path: '/pairs', ready: page.getByRole('heading', { name: 'Link or unlink pairs' }) },
      {
        path: `/batches/${small.id}`,
        ready: page.getByRole('region', { name: 'Batch results' }).getByRole('row').nth(3),
      },
      {
        path: `/objects/incidents/${incident.id}`,
        ready: page.getByRole('region', { name: 'Linked alerts' }),
      },
    ];
    for (const { path, ready } of pages) {
      await page.goto(path);
      await expect(ready).toBeVisible();
      await expect(page.getByRole('button', { name: /^Running batches \d+$/ })).toBeVisible();
      expect(await overflow(page), `${path} at ${size.width} px`).toBe(0);
    }
    // The form and the batch stack until the results table (whole UUIDs, a Title column) fits
    // beside the form: side by side from 1600 px (src/app/associate-page.module.css).
    await page.goto(`/batches/${small.id}`);
    const form = page.getByRole('region', { name: 'Link or unlink objects' });
    const batch = page.getByRole('region', { name: 'Batch', exact: true });
    await expect(batch).toBeVisible();
    const [f, b] = [await form.boundingBox(), await batch.boundingBox()];
    if (!f || !b) throw new Error('the form or the batch has no box');
    if (size.width < 1600) expect(b.y).toBeGreaterThanOrEqual(f.y + f.height);
    else expect([b.x >= f.x + f.width, Math.abs(b.y - f.y) < 2]).toEqual([true, true]);
    expect(
      (await request.post(`/api/batches/${paused}/stop`, { headers: API_HEADERS })).status(),
    ).toBe(200);
  });
}

test('on a phone the tools fold behind "Menu" and the connection badge keeps its words', async ({
  consolePage,
  page,
}) => {
  await page.setViewportSize(SIZES[0]);
  await page.goto('/history');
  await expect(page.getByRole('textbox', { name: 'Search history' })).toBeVisible();
  const badge = page.getByRole('banner').getByText('Emulator', { exact: true });
  await expect(badge).toBeVisible();
  expect(await badge.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
  const workspace = consolePage.workspace;
  await expect(workspace).toBeHidden();
  const menu = page.getByRole('button', { name: 'Menu' });
  await menu.click();
  await expect(menu).toHaveAttribute('aria-expanded', 'true');
  await expect(workspace).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Pairs' })).toBeVisible();
  expect(await overflow(page)).toBe(0);
  expect(await axeViolations(page)).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(workspace).toBeHidden();
  await expect(menu).toBeFocused();
  // A link in the menu goes there and folds the menu again.
  await menu.click();
  await nav.getByRole('link', { name: 'Pairs' }).click();
  await expect(page.getByRole('heading', { name: 'Link or unlink pairs' })).toBeVisible();
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
});

test('on a phone the "Find an object" list fits the window', async ({ emulator, page }) => {
  const { incident } = await emulator.scene(SLOTS.layout);
  await page.setViewportSize(SIZES[0]);
  await page.goto('/history');
  await expect(page.getByRole('textbox', { name: 'Search history' })).toBeVisible();
  await page.getByRole('button', { name: 'Menu' }).click();
  const find = page.getByRole('combobox', { name: 'Find an object' });
  await find.fill(incident.title);
  const list = page.getByRole('listbox', { name: 'Objects found' });
  await expect(
    list.getByRole('option', { name: new RegExp(`^incident .* ${incident.id}$`) }),
  ).toBeVisible();
  // The open list (440 px where there is room) stays inside the 390 px window.
  const box = await list.boundingBox();
  if (!box) throw new Error('the list has no box');
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(SIZES[0].width);
  expect(await overflow(page)).toBe(0);
});
