/**
 * Deterministic seed data: the same workspaces, objects, IDs and links on every machine.
 *
 * Every (workspace, class) pair has its own ID stream, separate from the stream that draws the
 * objects' attributes, so the first N IDs of a class stay the same whatever the seed sizes are
 * (`seedObjectIds` computes them without a database).
 */
import { z } from 'zod';
import type { Database } from 'better-sqlite3';
import { EmulatorConfigError } from './errors';
import { DROP_OBJECT_INDEXES, OBJECT_INDEXES } from './db';
import type { DataclassType } from './wire';

// ---------------------------------------------------------------------------
// Stable facts
// ---------------------------------------------------------------------------

export const SEED_WORKSPACES = [
  {
    id: '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14',
    name: 'SOC Operations',
    description: 'Tier 1/2 triage of cloud and endpoint alerts',
  },
  {
    id: 'a8d2e6f0-41b9-4c7e-8f35-6b1d9e0c3a27',
    name: 'Threat Hunting Lab',
    description: 'Hypothesis-driven hunts and indicator curation',
  },
] as const;

export type SeedWorkspaceIndex = 0 | 1;

export const DEFAULT_SEED_SIZES = { alerts: 2000, incidents: 200, indicators: 500 } as const;

export interface SeedSizes {
  alerts: number;
  incidents: number;
  indicators: number;
}

/** Objects are dated within the 180 days before this instant. */
export const SEED_EPOCH = '2026-10-31T23:59:59.000Z';

export const SEED_REGION = 'cn-north-4';
export const SEED_DOMAIN_ID = '6f2a9c0b8e4d47a1b3c5d7e9f1a2b4c6';

/** Names of the data classes as the dataclasses listing shows them. */
export const DATACLASS_NAMES: Record<DataclassType, string> = {
  alerts: 'Alert',
  incidents: 'Incident',
  indicators: 'Indicator',
};

const SEED_KEY = 'secmaster-emulator-v1';
const MAX_PER_CLASS = 1_000_000;

const count = z.number().int().min(0).max(MAX_PER_CLASS);
const seedSizesSchema = z.strictObject({
  alerts: count.optional(),
  incidents: count.optional(),
  indicators: count.optional(),
});

/**
 * Reads `EMULATOR_SEED` (already JSON-parsed: env.ts, or the console's configuration); throws
 * EmulatorConfigError on a bad value.
 */
export function parseSeedSizes(raw: Record<string, unknown> | undefined): SeedSizes {
  const parsed = seedSizesSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `EMULATOR_SEED.${i.path.join('.')}: ${i.message}`);
    throw new EmulatorConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return { ...DEFAULT_SEED_SIZES, ...parsed.data };
}

// ---------------------------------------------------------------------------
// Pseudo-random numbers (cyrb128 to seed, sfc32 to draw: 128-bit state, so streams never overlap)
// ---------------------------------------------------------------------------

type Rng = () => number;

function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** Returns uint32 values. */
function sfc32(seed: [number, number, number, number]): () => number {
  let [a, b, c, d] = seed;
  const next = () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

/** A uniform [0, 1) stream for any text seed: the same seed gives the same numbers everywhere. */
export function seededRandom(seed: string): Rng {
  const u32 = sfc32(cyrb128(seed));
  return () => u32() / 4294967296;
}

function stream(name: string): { u32: () => number; rand: Rng } {
  const u32 = sfc32(cyrb128(`${SEED_KEY}:${name}`));
  return { u32, rand: () => u32() / 4294967296 };
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** A lower-case UUID v4 drawn from the stream. */
function uuidFrom(u32: () => number): string {
  const a = hex8(u32());
  const b = hex8(((u32() & 0xffff0fff) | 0x00004000) >>> 0);
  const c = hex8(((u32() & 0x3fffffff) | 0x80000000) >>> 0);
  const d = hex8(u32());
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}

function idStream(workspaceIndex: number, dataclass: DataclassType): () => string {
  const { u32 } = stream(`ids:${workspaceIndex}:${dataclass}`);
  return () => uuidFrom(u32);
}

/** The first `n` IDs of a class in a seeded workspace, in seed order (no database needed). */
export function seedObjectIds(
  workspaceIndex: SeedWorkspaceIndex,
  dataclass: DataclassType,
  n: number,
): string[] {
  const next = idStream(workspaceIndex, dataclass);
  return Array.from({ length: n }, next);
}

/** The data class ID of a class in a seeded workspace. */
export function seedDataclassId(workspaceIndex: number, dataclass: DataclassType): string {
  return uuidFrom(stream(`dataclass:${workspaceIndex}:${dataclass}`).u32);
}

// ---------------------------------------------------------------------------
// Realistic content
// ---------------------------------------------------------------------------

function pick<T>(rand: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function weighted<T extends string>(rand: Rng, table: readonly (readonly [T, number])[]): T {
  const total = table.reduce((sum, [, w]) => sum + w, 0);
  let r = rand() * total;
  for (const [value, w] of table) {
    r -= w;
    if (r < 0) return value;
  }
  const last = table[table.length - 1];
  if (!last) throw new Error('weighted pick from an empty table');
  return last[0];
}

function int(rand: Rng, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

const SEVERITIES = [
  ['Tips', 10],
  ['Low', 25],
  ['Medium', 35],
  ['High', 22],
  ['Fatal', 8],
] as const;
const HANDLE_STATUSES = [
  ['Open', 55],
  ['Block', 15],
  ['Closed', 30],
] as const;
const INDICATOR_STATUSES = [
  ['Open', 60],
  ['Closed', 25],
  ['Revoked', 15],
] as const;
const VERDICTS = [
  ['Black', 60],
  ['Gray', 30],
  ['White', 10],
] as const;

const HOST_PREFIXES = [
  'ecs-web',
  'ecs-api',
  'fin-ws',
  'hr-ws',
  'db-prod',
  'k8s-node',
  'bastion',
  'mail-gw',
  'dev-ws',
  'cce-worker',
] as const;
const USERS = [
  'j.chen',
  'm.garcia',
  'a.novak',
  'svc-backup',
  'l.wang',
  'r.okafor',
  'admin',
  's.ito',
] as const;
const COUNTRIES = [
  'Romania',
  'Brazil',
  'Vietnam',
  'Nigeria',
  'Netherlands',
  'Russia',
  'Singapore',
] as const;
const MALWARE = [
  'Emotet',
  'QakBot',
  'AgentTesla',
  'Cobalt Strike beacon',
  'XMRig',
  'Mirai',
  'LockBit',
] as const;
const APPS = [
  'payments-portal',
  'hr-selfservice',
  'partner-api',
  'wiki',
  'billing-gateway',
] as const;
const DEPARTMENTS = ['Finance', 'HR', 'Engineering', 'Sales', 'Legal', 'Executive office'] as const;
const OWNERS = ['soc-tier1', 'soc-tier2', 'ir-team', 'threat-intel', ''] as const;

const ALERT_TEMPLATES: readonly (readonly [string, string, (r: Rng) => string])[] = [
  ['Brute force', 'Brute-force SSH login', (r) => `Brute-force SSH login on ${host(r)}`],
  [
    'Execution',
    'Malicious script',
    (r) => `Suspicious PowerShell download cradle on host ${host(r)}`,
  ],
  [
    'Command and control',
    'C2 traffic',
    (r) => `Outbound connection to known C2 ${ipv4(r)} from ${host(r)}`,
  ],
  ['Malware', 'Malware detected', (r) => `${pick(r, MALWARE)} detected on ${host(r)}`],
  [
    'Initial access',
    'Anomalous login',
    (r) => `Unusual login for ${pick(r, USERS)} from ${pick(r, COUNTRIES)}`,
  ],
  ['Privilege escalation', 'Sudo abuse', (r) => `Privilege escalation via sudo on ${host(r)}`],
  ['Reconnaissance', 'Port scan', (r) => `Port scan from ${ipv4(r)} against ${host(r)}`],
  ['Web attack', 'Web shell', (r) => `Web shell upload attempt on ${host(r)}`],
  ['Web attack', 'SQL injection', (r) => `SQL injection attempt against ${pick(r, APPS)}`],
  ['Initial access', 'Impossible travel', (r) => `Impossible travel for ${pick(r, USERS)}`],
  ['Impact', 'Ransomware', (r) => `Ransomware file rename burst on ${host(r)}`],
  [
    'Credential access',
    'Credential dumping',
    (r) => `Credential dumping (LSASS access) on ${host(r)}`,
  ],
  ['Exfiltration', 'DNS tunneling', (r) => `DNS tunneling suspected from ${host(r)}`],
  ['Impact', 'Crypto mining', (r) => `Crypto-mining process on ${host(r)}`],
  ['Cloud', 'Public bucket', (r) => `OBS bucket ${pick(r, APPS)}-${int(r, 1, 99)} made public`],
  ['Cloud', 'Key misuse', (r) => `IAM access key used from new ASN for ${pick(r, USERS)}`],
  [
    'Exfiltration',
    'Data egress',
    (r) => `Anomalous data egress (${int(r, 2, 90)} GB) from ${host(r)}`,
  ],
];

const INCIDENT_TEMPLATES: readonly (readonly [string, string, (r: Rng) => string])[] = [
  [
    'Malware',
    'Ransomware',
    (r) => `Ransomware outbreak contained on ${pick(r, HOST_PREFIXES)} segment`,
  ],
  ['Account compromise', 'Compromised account', (r) => `Compromised account ${pick(r, USERS)}`],
  ['Phishing', 'Phishing campaign', (r) => `Phishing campaign targeting ${pick(r, DEPARTMENTS)}`],
  ['Resource abuse', 'Cryptojacking', (r) => `Cryptojacking on cluster cce-prod-${int(r, 1, 9)}`],
  ['Data leak', 'Exfiltration', (r) => `Data exfiltration from ${host(r)}`],
  ['Intrusion', 'Lateral movement', (r) => `Lateral movement from ${host(r)}`],
  ['Intrusion', 'Web compromise', (r) => `Web application compromise of ${pick(r, APPS)}`],
  [
    'Insider',
    'Data access anomaly',
    (r) => `Insider data access anomaly in ${pick(r, DEPARTMENTS)}`,
  ],
];

const INDICATOR_KINDS = ['IPv4', 'Domain', 'SHA256', 'MD5', 'URL'] as const;
type IndicatorKind = (typeof INDICATOR_KINDS)[number];
const INDICATOR_TYPE_IDS: Record<IndicatorKind, string> = {
  IPv4: 'b1f6c2d0-5e7a-4c39-8d21-1a0b9c8d7e61',
  Domain: 'c2a7d3e1-6f8b-4d4a-9e32-2b1c0d9e8f72',
  SHA256: 'd3b8e4f2-7a9c-4e5b-af43-3c2d1e0f9a83',
  MD5: 'e4c9f5a3-8bad-4f6c-b054-4d3e2f1a0b94',
  URL: 'f5dab6b4-9cbe-4a7d-8165-5e4f3a2b1ca5',
};
const DOMAIN_WORDS = [
  'update',
  'cdn',
  'secure',
  'login',
  'portal',
  'sync',
  'cloud',
  'mail',
  'auth',
  'static',
];
const TLDS = ['top', 'xyz', 'ru', 'info', 'online', 'club', 'biz'] as const;
const INDICATOR_LABELS = [
  'Cobalt Strike C2',
  'Phishing kit',
  'Emotet loader',
  'Tor exit node',
  'Miner pool',
  'Scanner',
] as const;

function host(r: Rng): string {
  return `${pick(r, HOST_PREFIXES)}-${String(int(r, 1, 150)).padStart(2, '0')}`;
}

function ipv4(r: Rng): string {
  return `${pick(r, [45, 91, 103, 146, 185, 193, 194, 212])}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 1, 254)}`;
}

function hexString(u32: () => number, chars: number): string {
  let s = '';
  while (s.length < chars) s += hex8(u32());
  return s.slice(0, chars);
}

function indicatorValue(kind: IndicatorKind, r: Rng, u32: () => number): string {
  switch (kind) {
    case 'IPv4':
      return ipv4(r);
    case 'Domain':
      return `${pick(r, DOMAIN_WORDS)}-${pick(r, DOMAIN_WORDS)}${int(r, 1, 999)}.${pick(r, TLDS)}`;
    case 'SHA256':
      return hexString(u32, 64);
    case 'MD5':
      return hexString(u32, 32);
    case 'URL':
      return `http://${pick(r, DOMAIN_WORDS)}${int(r, 1, 99)}.${pick(r, TLDS)}/${pick(r, DOMAIN_WORDS)}.php?id=${int(r, 100, 9999)}`;
  }
}

const DAY_MS = 86_400_000;
const EPOCH_MS = Date.parse(SEED_EPOCH);

function times(r: Rng): { create: string; update: string; createMs: number } {
  const createMs = EPOCH_MS - Math.floor(r() * 180 * DAY_MS);
  const updateMs = Math.min(EPOCH_MS, createMs + Math.floor(r() * 7 * DAY_MS));
  return {
    create: new Date(createMs).toISOString(),
    update: new Date(updateMs).toISOString(),
    createMs,
  };
}

interface SeedObject {
  id: string;
  title: string;
  severity: string | null;
  status: string;
  create_time: string;
  update_time: string;
  origin_type: string;
  version: number;
  data: Record<string, unknown>;
}

function makeAlertOrIncident(
  kind: 'alerts' | 'incidents',
  id: string,
  n: number,
  workspaceId: string,
  r: Rng,
): SeedObject {
  const template = pick(r, kind === 'alerts' ? ALERT_TEMPLATES : INCIDENT_TEMPLATES);
  const [category, typeName, title] = template;
  const t = times(r);
  const severity = weighted(r, SEVERITIES);
  const handleStatus = weighted(r, HANDLE_STATUSES);
  const year = new Date(t.createMs).getUTCFullYear();
  const fullTitle =
    kind === 'incidents' ? `INC-${year}-${String(n + 1).padStart(5, '0')}: ${title(r)}` : title(r);
  const closed = handleStatus === 'Closed';
  const data: Record<string, unknown> = {
    id,
    title: fullTitle,
    description: `${typeName} reported by ${kind === 'alerts' ? 'the detection pipeline' : 'the SOC'}.`,
    severity,
    handle_status: handleStatus,
    verification_state: closed ? pick(r, ['True_Positive', 'False_Positive'] as const) : 'Unknown',
    ipdrr_phase: closed
      ? 'Post-Incident-Activity'
      : pick(r, ['Detection and Analysis', 'Contain, Eradication & Recovery'] as const),
    confidence: int(r, 40, 100),
    criticality: int(r, 10, 100),
    count: int(r, 1, 40),
    owner: pick(r, OWNERS),
    creator: kind === 'alerts' ? 'system' : pick(r, USERS),
    [kind === 'alerts' ? 'alert_type' : 'incident_type']:
      kind === 'alerts'
        ? { category, alert_type: typeName }
        : { category, incident_type: typeName },
    data_source: {
      source_type: 1,
      product_name: pick(r, ['HSS', 'WAF', 'CFW', 'CTS', 'OBS', 'IAM'] as const),
      product_feature: typeName,
      company_name: 'Huawei',
      domain_id: SEED_DOMAIN_ID,
      region_id: SEED_REGION,
    },
    environment: { vendor_type: 'HWC', domain_id: SEED_DOMAIN_ID, region_id: SEED_REGION },
    first_observed_time: t.create,
    last_observed_time: t.update,
    arrive_time: t.create,
    create_time: t.create,
    update_time: t.update,
    ...(closed
      ? {
          close_time: t.update,
          close_reason: pick(r, ['Resolved', 'False detection', 'Repeated'] as const),
        }
      : {}),
    labels: pick(r, ['', 'prod', 'pci', 'crown-jewel', 'vip'] as const),
    workspace_id: workspaceId,
    domain_id: SEED_DOMAIN_ID,
    region_id: SEED_REGION,
    version: '1',
  };
  return {
    id,
    title: fullTitle,
    severity,
    status: handleStatus,
    create_time: t.create,
    update_time: t.update,
    origin_type: kind === 'alerts' ? 'DATA_SOURCE' : pick(r, ['MANUAL', 'PLAYBOOK'] as const),
    version: 1,
    data,
  };
}

function makeIndicator(id: string, workspaceId: string, r: Rng, u32: () => number): SeedObject {
  const kind = pick(r, INDICATOR_KINDS);
  const value = indicatorValue(kind, r, u32);
  const label = pick(r, INDICATOR_LABELS);
  const name = `${label} ${kind === 'SHA256' || kind === 'MD5' ? value.slice(0, 12) : value}`;
  const t = times(r);
  const status = weighted(r, INDICATOR_STATUSES);
  const data: Record<string, unknown> = {
    id,
    name,
    value,
    indicator_type: { indicator_type: kind, id: INDICATOR_TYPE_IDS[kind] },
    status,
    verdict: weighted(r, VERDICTS),
    confidence: int(r, 80, 100),
    granular_marking: int(r, 1, 4),
    first_report_time: t.create,
    last_report_time: t.update,
    labels: label,
    revoked: status === 'Revoked',
    is_deleted: false,
    defanged: false,
    create_time: t.create,
    update_time: t.update,
    workspace_id: workspaceId,
  };
  return {
    id,
    title: name,
    severity: null,
    status,
    create_time: t.create,
    update_time: t.update,
    origin_type: 'MANUAL',
    version: 1,
    data,
  };
}

// ---------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------

/** Whether ANALYZE has run on this file (its statistics table exists). */
function hasStatistics(db: Database): boolean {
  return (
    db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
      .get() !== undefined
  );
}

/**
 * Seeds the database if it holds no workspace yet; data already there is kept as is. Ends with
 * ANALYZE: without statistics SQLite reads `o.workspace_id = ? AND o.dataclass_type = ? AND o.id IN
 * (…100 IDs…)` through the (workspace, class) index, every object of the class (200 ms at 100,000
 * alerts), instead of 100 primary-key lookups (0.2 ms).
 */
export function seedEmulator(
  db: Database,
  sizes: SeedSizes = DEFAULT_SEED_SIZES,
): { seeded: boolean } {
  const row = db.prepare('SELECT count(*) AS n FROM workspaces').get();
  const existing = z.object({ n: z.number() }).parse(row).n;
  if (existing > 0) {
    // A file seeded before the statistics were kept (see below) gets them once.
    if (!hasStatistics(db)) db.exec('ANALYZE');
    return { seeded: false };
  }

  const insertWorkspace = db.prepare(
    'INSERT INTO workspaces (id, seq, name, create_time, data) VALUES (?, ?, ?, ?, ?)',
  );
  const insertDataclass = db.prepare(
    'INSERT INTO dataclasses (id, workspace_id, dataclass_type, name, data) VALUES (?, ?, ?, ?, ?)',
  );
  const insertObject = db.prepare(
    `INSERT INTO objects (id, workspace_id, dataclass_type, title, severity, status, create_time,
       update_time, origin_type, version, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertLink = db.prepare(
    `INSERT OR IGNORE INTO links (workspace_id, a_class, a_id, b_class, b_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const link = (
    ws: string,
    aClass: string,
    aId: string,
    bClass: string,
    bId: string,
    at: string,
  ) => {
    insertLink.run(ws, aClass, aId, bClass, bId, at);
    insertLink.run(ws, bClass, bId, aClass, aId, at);
  };

  db.transaction(() => {
    db.exec(DROP_OBJECT_INDEXES);
    SEED_WORKSPACES.forEach((ws, wi) => {
      const createTime = new Date(EPOCH_MS - (400 - wi * 30) * DAY_MS).toISOString();
      insertWorkspace.run(
        ws.id,
        wi,
        ws.name,
        createTime,
        JSON.stringify({
          description: ws.description,
          create_time: createTime,
          update_time: createTime,
          creator_id: 'c0ffee00d15ea5e0000000000000000' + String(wi),
          creator_name: 'soc-admin',
          modifier_id: 'c0ffee00d15ea5e0000000000000000' + String(wi),
          modifier_name: 'soc-admin',
          domain_id: SEED_DOMAIN_ID,
          domain_name: 'contoso-security',
          enterprise_project_id: '0',
          enterprise_project_name: 'default',
          is_view: false,
          region_id: SEED_REGION,
          view_bind_id: null,
          view_bind_name: null,
          workspace_agency_list: [],
        }),
      );
      for (const dc of ['alerts', 'incidents', 'indicators'] as const) {
        insertDataclass.run(
          seedDataclassId(wi, dc),
          ws.id,
          dc,
          DATACLASS_NAMES[dc],
          JSON.stringify({
            business_code: DATACLASS_NAMES[dc],
            description: `Built-in data class for ${dc}`,
            is_built_in: true,
            parent_id: null,
            type_num: 0,
            cloud_pack_version: null,
            create_time: createTime,
            update_time: createTime,
          }),
        );
      }

      const ids: Record<DataclassType, string[]> = { alerts: [], incidents: [], indicators: [] };
      for (const dc of ['alerts', 'incidents', 'indicators'] as const) {
        const nextId = idStream(wi, dc);
        const { u32, rand } = stream(`attrs:${wi}:${dc}`);
        for (let n = 0; n < sizes[dc]; n++) {
          const id = nextId();
          const o =
            dc === 'indicators'
              ? makeIndicator(id, ws.id, rand, u32)
              : makeAlertOrIncident(dc, id, n, ws.id, rand);
          insertObject.run(
            o.id,
            ws.id,
            dc,
            o.title,
            o.severity,
            o.status,
            o.create_time,
            o.update_time,
            o.origin_type,
            o.version,
            JSON.stringify(o.data),
          );
          ids[dc].push(id);
        }
      }

      // Each incident groups a few alerts and indicators; a few alerts also point at an indicator.
      const { rand } = stream(`links:${wi}`);
      const at = SEED_EPOCH;
      for (const incident of ids.incidents) {
        if (ids.alerts.length > 0) {
          for (let k = int(rand, 1, 4); k > 0; k--)
            link(ws.id, 'incidents', incident, 'alerts', pick(rand, ids.alerts), at);
        }
        if (ids.indicators.length > 0) {
          for (let k = int(rand, 0, 3); k > 0; k--) {
            link(ws.id, 'incidents', incident, 'indicators', pick(rand, ids.indicators), at);
          }
        }
      }
      if (ids.indicators.length > 0) {
        for (const alert of ids.alerts) {
          if (rand() < 0.05)
            link(ws.id, 'alerts', alert, 'indicators', pick(rand, ids.indicators), at);
        }
      }
    });
    db.exec(OBJECT_INDEXES);
  })();
  db.exec('ANALYZE');
  return { seeded: true };
}
