/**
 * The console's embedded emulator accepts what the console sends: `emulatorAuthFromConfig` maps
 * EMULATOR_AUTH and the console's credentials onto the emulator's auth, and the console's upstream
 * client passes it over HTTP, as server/main.ts wires them.
 */
import {
  DEMO_AK as EMULATOR_DEMO_AK,
  DEMO_SK as EMULATOR_DEMO_SK,
  SEED_WORKSPACES,
  openEmulatorDb,
  seedEmulator,
  seedObjectIds,
  startEmulator,
  type RunningEmulator,
} from 'secmaster-emulator';
import { afterEach, describe, expect, test } from 'vitest';
import { DEMO_AK, DEMO_SK, loadConfig } from './config';
import { Credentials } from './credentials';
import { emulatorAuthFromConfig } from './embedded-emulator';
import { createUpstream } from './secmaster/client';

const SIZES = { alerts: 5, incidents: 3, indicators: 2 };
const WS = SEED_WORKSPACES[0].id;
const AK = 'EXAMPLEAK0000000000';
const SK = 'ExampleSecretKey0000000000000000000000000';
const TEST_PROJECT_ID = '0123456789abcdef0123456789abcdef';

describe('configuration', () => {
  test('EMULATOR_AUTH defaults to aksk and accepts the demo pair plus CLOUD_SDK_AK/SK', () => {
    expect(emulatorAuthFromConfig(loadConfig({}))).toEqual({
      mode: 'aksk',
      credentials: { [DEMO_AK]: DEMO_SK },
    });
    expect(emulatorAuthFromConfig(loadConfig({ CLOUD_SDK_AK: AK, CLOUD_SDK_SK: SK }))).toEqual({
      mode: 'aksk',
      credentials: { [DEMO_AK]: DEMO_SK, [AK]: SK },
    });
    expect(
      emulatorAuthFromConfig(loadConfig({ EMULATOR_AUTH: 'token', SECMASTER_AUTH_TOKEN: 'tok' })),
    ).toEqual({ mode: 'token', token: 'tok' });
    expect(emulatorAuthFromConfig(loadConfig({ EMULATOR_AUTH: 'none' }))).toEqual({ mode: 'none' });
  });

  test("the console's demo pair is the one the emulator accepts", () => {
    expect([DEMO_AK, DEMO_SK]).toEqual([EMULATOR_DEMO_AK, EMULATOR_DEMO_SK]);
  });
});

describe('over HTTP, wired as server/main.ts wires it', () => {
  let running: RunningEmulator | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  test.each([
    ['aksk (demo pair)', {}],
    ['aksk (CLOUD_SDK_AK/SK)', { CLOUD_SDK_AK: AK, CLOUD_SDK_SK: SK }],
    ['token', { EMULATOR_AUTH: 'token', SECMASTER_AUTH_TOKEN: 'tok-123' }],
  ])('%s: the console upstream is accepted; an unauthenticated call is not', async (_n, env) => {
    const config = loadConfig({ ...env, SECMASTER_PROJECT_ID: TEST_PROJECT_ID });
    const db = openEmulatorDb(':memory:');
    seedEmulator(db, SIZES);
    running = await startEmulator({
      db,
      projectId: config.projectId,
      port: 0,
      auth: emulatorAuthFromConfig(config),
    });
    const upstream = createUpstream({
      endpoint: running.url,
      projectId: config.projectId,
      timeoutMs: 5_000,
      credentials: config.credentials,
    });
    const [incident] = seedObjectIds(0, 'incidents', 1);
    const alerts = seedObjectIds(0, 'alerts', 3);
    const op = {
      workspaceId: WS,
      dataclass: 'incidents',
      objectId: incident ?? '',
      related: 'alerts',
      ids: alerts,
    } as const;
    expect(
      (await upstream.call({ op: 'listWorkspaces', query: { offset: 0, limit: 10 } })).status,
    ).toBe(200);
    expect(await upstream.call({ op: 'associate', ...op })).toMatchObject({
      status: 200,
      body: { data: { success_ids: alerts } },
    });
    expect(await upstream.call({ op: 'cancel', ...op })).toMatchObject({
      status: 200,
      body: { data: { success_ids: alerts } },
    });
    const anonymous = createUpstream({
      endpoint: running.url,
      projectId: config.projectId,
      timeoutMs: 5_000,
    });
    expect(await anonymous.call({ op: 'listWorkspaces' })).toMatchObject({
      status: 401,
      body: { error_code: 'APIG.0301' },
    });
    const wrong = createUpstream({
      endpoint: running.url,
      projectId: config.projectId,
      timeoutMs: 5_000,
      credentials: Credentials.aksk(DEMO_AK, 'NotTheDemoSecret', undefined, 'test'),
    });
    const refused = await wrong.call({ op: 'listWorkspaces' });
    expect(refused.status).toBe(401);
    db.close();
  });
});
