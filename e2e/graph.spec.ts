import { expect, test } from './fixtures';
import { axeViolations } from './support/axe';
import { SLOTS } from './support/slots';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('the Graph tab draws an alert and its links; a node reached by keyboard opens with Enter', async ({
  consolePage: ui,
  emulator,
  page,
}) => {
  // A seeded alert linked to at least one incident (the seed is deterministic).
  const [workspace] = await emulator.workspaces();
  if (!workspace) throw new Error('the emulator has no workspace');
  const [offset, count] = SLOTS.graph.alerts;
  let scene: { alert: { id: string; title: string }; incidents: string[] } | null = null;
  for (const alert of await emulator.objects(workspace.id, 'alerts', offset, count)) {
    const incidents = await emulator.linkedIds(workspace.id, 'alerts', alert.id, 'incidents');
    if (incidents.length > 0) {
      scene = { alert, incidents };
      break;
    }
  }
  if (!scene) throw new Error('no seeded alert with a linked incident');

  await ui.open();
  await page.goto(`/objects/alerts/${scene.alert.id}`);
  const graphTab = page.getByRole('tab', { name: 'Graph' });
  await graphTab.click();
  const graph = page.getByRole('region', { name: 'Relation graph' });
  const subject = graph.getByRole('group', {
    name: new RegExp(`^Alert ${escape(scene.alert.title)} \\(`),
  });
  await expect(subject).toBeVisible();
  await expect(graph.getByRole('group', { name: /^Incident / })).toHaveCount(
    scene.incidents.length,
  );
  await expect(graph.getByRole('status').first()).toHaveText(/^Showing \d+ objects/);
  expect(await axeViolations(page)).toEqual([]);

  // From the tab, Tab reaches the first node (the alert); the arrow keys go on to an incident.
  await graphTab.focus();
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab');
    if (await subject.evaluate((el) => el === document.activeElement)) break;
  }
  await expect(subject).toBeFocused();
  let focused = '';
  for (let i = 0; i < 200 && !focused.startsWith('Incident '); i++) {
    await page.keyboard.press('ArrowRight');
    focused = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
  }
  expect(focused).toMatch(/^Incident .+ \(.+\)$/);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/objects\/incidents\/[^/]+$/);
  const opened = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
  expect(scene.incidents).toContain(opened);
  await expect(
    page
      .getByRole('region', { name: 'Linked alerts' })
      .locator(`a[href="/objects/alerts/${scene.alert.id}"]`),
  ).toBeVisible();
});
