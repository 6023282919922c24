/**
 * The end-to-end harness's request helpers: `post` as the SPA sends, `getJson` that refuses
 * anything but a 200, and `linksOf` reading the emulator's links.
 */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { SEED_WORKSPACES, seedObjectIds } from 'secmaster-emulator';
import { batchSummarySchema } from '../../src/api/schemas';
import { startEmulatorConsole, type EmulatorConsole } from './emulator-console';

let h: EmulatorConsole;

beforeEach(async () => {
  h = await startEmulatorConsole({
    prefix: 'harness-',
    seed: { alerts: 40, incidents: 4, indicators: 1 },
  });
});

afterEach(() => h.close());

test('post makes a batch as the SPA would; getJson reads it; linksOf sees the links it made', async () => {
  const [incident = ''] = seedObjectIds(0, 'incidents', 1);
  const before = h.linksOf(incident);
  const alerts = seedObjectIds(0, 'alerts', 40)
    .filter((id) => !before.has(id))
    .slice(0, 2);
  expect(alerts).toHaveLength(2);
  const res = await h.post('/api/batches', {
    action: 'associate',
    workspace_id: SEED_WORKSPACES[0].id,
    dataclass_type: 'incidents',
    data_object_id: incident,
    related_dataclass_type: 'alerts',
    ids: alerts,
  });
  expect(res.status).toBe(201);
  const { id } = batchSummarySchema.parse(await res.json());
  await h.runner.whenIdle(id);
  expect(batchSummarySchema.parse(await h.getJson(`/api/batches/${id}`)).state).toBe('done');
  const after = h.linksOf(incident);
  expect(alerts.every((a) => after.has(a))).toBe(true);
  expect(after.size).toBe(before.size + alerts.length);
});

test('getJson throws on anything but a 200, naming the path and the status', async () => {
  const path = `/api/batches/${'0'.repeat(8)}-0000-4000-8000-000000000000`;
  await expect(h.getJson(path)).rejects.toThrow(`GET ${path}: 404`);
});
