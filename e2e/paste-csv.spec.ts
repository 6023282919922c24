import { expect, test } from './fixtures';
import { API_HEADERS } from './support/api';

/**
 * This test's seed positions (an incident and a run of alerts no other test uses; see
 * e2e/support/slots.ts for the others).
 */
const SLOT = { incident: 190, alerts: [1300, 40] as [number, number] };

/** A CSV cell: quoted when it holds a comma, a quote or a line break. */
function cell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

test('a pasted CSV export gives exactly its ID column: no words, UUIDs in lower case', async ({
  consolePage: ui,
  emulator,
  page,
  request,
}) => {
  const { workspace, incident, alerts } = await emulator.scene(SLOT);
  expect(alerts).toHaveLength(SLOT.alerts[1]);
  const ids = alerts.map((a) => a.id);

  // The export as a SIEM or a spreadsheet writes it: titles with commas, quotes and line breaks,
  // severities, host names, timestamps, owners' e-mail addresses; every fifth ID in upper case.
  const severities = ['Low', 'Medium', 'High', 'Critical'];
  const rows = alerts.map((a, i) =>
    [
      i % 5 === 0 ? a.id.toUpperCase() : a.id,
      `${a.title}, seen on dev-ws-${i}${i % 7 === 0 ? '\n(Web shell, "cmd.exe")' : ''}`,
      severities[i % severities.length] ?? 'Low',
      i % 2 === 0 ? 'Open' : 'Closed',
      `2026-11-03T10:${String(i % 60).padStart(2, '0')}:00Z`,
      `analyst${i}@example.com`,
    ]
      .map(cell)
      .join(','),
  );
  const csv = ['ID,title,severity,status,time,owner', ...rows].join('\r\n');

  await ui.open();
  await ui.chooseSubject('Incidents', incident.title.slice(0, 24), incident.title);
  await ui.chooseRelatedClass('Alerts');
  await ui.pasteIds(csv);
  await expect(page.getByRole('status', { name: 'Paste summary' })).toHaveText(
    `${ids.length} valid · 0 duplicates · 0 invalid`,
  );
  await expect(page.getByText(`Read as CSV: the column “ID” of ${ids.length} rows`)).toBeVisible();
  await expect(page.getByRole('list', { name: 'Invalid' })).toHaveCount(0);

  await ui.submitButton('Associate').click();
  await expect(page).toHaveURL(/\/batches\/[0-9a-f-]{36}$/);
  const batchId = new URL(page.url()).pathname.split('/').pop() ?? '';

  // The batch, read through the API: exactly the CSV's IDs, in lower case, nothing else.
  const summary = await request.get(`/api/batches/${batchId}`, { headers: API_HEADERS });
  expect(summary.ok()).toBe(true);
  const batch = (await summary.json()) as { total: number; duplicates: number };
  expect(batch.total).toBe(ids.length);
  expect(batch.duplicates).toBe(0);
  const itemsRes = await request.get(`/api/batches/${batchId}/items?offset=0&limit=1000`, {
    headers: API_HEADERS,
  });
  expect(itemsRes.ok()).toBe(true);
  const items = (await itemsRes.json()) as { items: { id: string; state: string }[] };
  expect(items.items.map((i) => i.id).sort()).toEqual([...ids].sort());
  expect(items.items.filter((i) => i.state === 'invalid')).toEqual([]);

  // And the links are made: the emulator agrees.
  await ui.waitForBatchDone();
  const linked = await emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts');
  for (const id of ids) expect(linked).toContain(id);
});
