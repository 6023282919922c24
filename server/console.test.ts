/**
 * `createConsole` wires one working console: its app answers, its batches run through the
 * upstream it built (the environment's credential, routed per call) to the end, start-up recovery
 * interrupts what waits for a sign-in and resumes the rest, a lost DATA_DIR reaches both the app
 * and the runner, `close()` stops the runner (nothing more is sent) but leaves the caller's
 * ledger open, and stores given to it (PostgreSQL) are where its batches are made, run and read.
 */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiErrorBodySchema, batchSummarySchema } from '../src/api/schemas';
import { openLedger, type Ledger } from './batches/ledger';
import { loadConfig, type Config } from './config';
import { createConsole, type ConsoleDeps, type ConsoleServer } from './console';
import { newBatch } from './testing/batches';
import { openPgTestStore } from './testing/stores';
import {
  makeIds,
  startFakeUpstream,
  writeAnswer,
  type FakeUpstream,
} from './testing/fake-upstream';
import { WS, SUBJECT, JSON_HEADERS } from './testing/api-requests';

const PROJECT = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const TOKEN = 'console-test-env-token';

let fake: FakeUpstream;
let dir: string;
let config: Config;
let ledger: Ledger;
let consoles: ConsoleServer[];

beforeEach(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'console-'));
  config = loadConfig({
    SECMASTER_MODE: 'secmaster',
    SECMASTER_ENDPOINT: fake.url,
    SECMASTER_PROJECT_ID: PROJECT,
    SECMASTER_AUTH_TOKEN: TOKEN,
    BATCH_CONCURRENCY: '1',
    DATA_DIR: dir,
  });
  ledger = openLedger(join(dir, 'ledger.sqlite'));
  consoles = [];
});

afterEach(async () => {
  for (const c of consoles) await c.close();
  ledger.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

function wire(deps: Partial<ConsoleDeps> = {}): ConsoleServer {
  const c = createConsole(config, { ledger, runner: { backoffMs: () => 0 }, ...deps });
  consoles.push(c);
  return c;
}

function postBatch(c: ConsoleServer, ids: string[]) {
  return c.app.request('/api/batches', {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify({
      action: 'associate',
      workspace_id: WS,
      dataclass_type: 'incidents',
      data_object_id: SUBJECT,
      related_dataclass_type: 'alerts',
      ids,
    }),
  });
}

test('the app answers /api/health and a batch runs through the upstream the console built, to the end', async () => {
  const c = wire();
  const health = await c.app.request('/api/health');
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });

  const ids = makeIds(150);
  const res = await postBatch(c, ids);
  expect(res.status).toBe(201);
  const { id } = batchSummarySchema.parse(await res.json());
  await c.runner.whenIdle(id);
  expect(ledger.getBatch(id)).toMatchObject({
    state: 'done',
    counts: { succeeded: 150, pending: 0 },
  });
  // Two chunks, each sent with the environment's credential to the configured endpoint.
  expect(fake.writes()).toHaveLength(2);
  expect(fake.writes().map((w) => w.headers['x-auth-token'])).toEqual([TOKEN, TOKEN]);
  expect(fake.writes().flatMap((w) => (JSON.parse(w.body) as { ids: string[] }).ids)).toEqual(ids);
  // The batch records which credential it ran on.
  expect(ledger.getBatch(id)?.credential_source).toBe('env-token');
});

test('given other stores (PostgreSQL), the console creates, runs and answers its batches there, not in the SQLite ledger', async () => {
  const pg = await openPgTestStore();
  try {
    const c = wire({ stores: pg.stores });
    const ids = makeIds(150);
    const res = await postBatch(c, ids);
    expect(res.status).toBe(201);
    const { id } = batchSummarySchema.parse(await res.json());
    await c.runner.whenIdle(id);
    expect(await pg.store.getBatch(id)).toMatchObject({
      state: 'done',
      counts: { succeeded: 150, pending: 0 },
    });
    expect(ledger.getBatch(id)).toBeNull();
    expect(fake.writes()).toHaveLength(2);
    const read = await c.app.request(`/api/batches/${id}`);
    expect(batchSummarySchema.parse(await read.json())).toMatchObject({ id, state: 'done' });
    const listed = await c.app.request('/api/batches');
    expect(await listed.json()).toMatchObject({ total: 1, items: [{ id }] });
    await c.close();
    consoles.splice(consoles.indexOf(c), 1);
  } finally {
    await pg.close();
  }
});

test('close() stops the runner: the call in flight is recorded, nothing more is sent, the ledger stays open', async () => {
  let release = () => undefined as void;
  const held = new Promise<void>((resolve) => (release = resolve));
  fake.onWrite(async (ids) => {
    await held;
    return writeAnswer(ids, []);
  });
  const c = wire();
  const res = await postBatch(c, makeIds(300));
  const { id } = batchSummarySchema.parse(await res.json());
  await expect.poll(() => fake.writes().length).toBe(1);

  const closed = c.close();
  release();
  await closed;
  expect(fake.writes()).toHaveLength(1);
  // The batch stays as it is for the next server: the first chunk recorded, the rest pending.
  expect(ledger.getBatch(id)).toMatchObject({
    state: 'running',
    counts: { succeeded: 100, in_flight: 0, pending: 200 },
  });
  await c.runner.whenIdle(id);
  expect(fake.writes()).toHaveLength(1);
});

test('resumeAll: a batch that ran on an IAM session waits for a sign-in, one on the environment credential runs on', async () => {
  // Batches a previous server left running; this one has none of its sessions.
  const onSession = newBatch(ledger, { ids: makeIds(3, 'a'), subject: SUBJECT, workspace: WS });
  ledger.setCredentialSource(onSession.id, 'session:alice');
  const onEnv = newBatch(ledger, {
    ids: makeIds(2, 'b'),
    subject: SUBJECT,
    workspace: WS,
    related: 'indicators',
  });
  ledger.setCredentialSource(onEnv.id, 'env-token');

  await wire().resumeAll();
  expect(ledger.getBatch(onSession.id)).toMatchObject({
    state: 'interrupted',
    state_reason: 'sign in to resume',
  });
  expect(ledger.getBatch(onEnv.id)).toMatchObject({ state: 'done', counts: { succeeded: 2 } });
  expect(fake.writes().map((w) => w.path)).toEqual([
    `/v1/${PROJECT}/workspaces/${WS}/soc/incidents/${SUBJECT}/indicators`,
  ]);
});

test('a lost DATA_DIR reaches the app (no state change is recorded) and the runner (no write is sent)', async () => {
  let lost: string | null = null;
  const c = wire({ dataDirLost: () => lost });
  const batch = newBatch(ledger, { ids: makeIds(5), subject: SUBJECT, workspace: WS });
  lost = 'console.lock was removed';

  const res = await postBatch(c, makeIds(1, 'x'));
  expect(res.status).toBe(503);
  expect(apiErrorBodySchema.parse(await res.json()).code).toBe('DATA_DIR_LOST');
  await c.runner.start(batch.id);
  expect(fake.writes()).toEqual([]);
  expect(ledger.getBatch(batch.id)).toMatchObject({ state: 'running', counts: { pending: 5 } });
});
