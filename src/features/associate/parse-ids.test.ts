import { isValidElement, type ReactNode } from 'react';
import { describe, expect, test } from 'vitest';
import { canonicalId, idKey, malformedUuidReason } from '../../api/schemas';
import {
  ID,
  TEXT,
  fastIdKey,
  isLowerUuid,
  parseIds,
  runVerdict,
  type IssueReason,
  type ParseIssue,
} from './parse-ids';
import { formatSkipped, formatSummary, issueText } from './parse-words';

/** A message in plain text (its data parts' text included). */
function wordsOf(node: ReactNode): string {
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (Array.isArray(node)) return node.map(wordsOf).join('');
  if (isValidElement<{ children?: ReactNode }>(node)) return wordsOf(node.props.children);
  return '';
}

/** The issues with their reasons in words (English: the tests run in English). */
const worded = (issues: readonly ParseIssue[]) =>
  issues.map(({ token, reason }) => ({ token, reason: wordsOf(issueText(reason)) }));

const A = '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';
const B = '0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f';
const C = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6'; // 32 hex, no dashes
const D = 'alert_0001-ABCDEFGHIJKLMNOPQRSTUVWXYZ'; // letters, digits, "-" and "_"
const PROJECT = '0123456789abcdef0123456789abcdef';
const WORKSPACE = 'fedcba98-7654-3210-fedc-ba9876543210';

test('one ID per line', () => {
  const r = parseIds(`${A}\n${B}\r\n${C}\n`, {});
  expect(r.valid).toEqual([A, B, C]);
  expect(r.tokens).toEqual([A, B, C]);
  expect(r).toMatchObject({
    duplicates: 0,
    invalid: [],
    ignored: [],
    format: 'text',
    header: null,
  });
});

test.each([
  ['commas', `${A},${B}, ${C}`],
  ['semicolons', `${A};${B} ; ${C}`],
  ['tabs', `${A}\t${B}\t\t${C}`],
  ['spaces', `  ${A}   ${B} ${C}  `],
  ['pipes', `| ${A} | ${B} |${C}|`],
  ['double quotes', `"${A}" "${B}","${C}"`],
  ['single and back quotes', `'${A}' \`${B}\` '${C}'`],
  ['brackets and braces', `[${A}] (${B}) {${C}} <${A}>`],
  ['typographic quotes and full-width commas', `“${A}”，‘${B}’、${C}`],
  ['zero-width and no-break spaces', `${A}\u200b${B}\u00a0${C}\ufeff`],
])('separated by %s', (_name, text) => {
  const r = parseIds(text, {});
  expect(r.valid).toEqual([A, B, C]);
  expect(r.invalid).toEqual([]);
});

test('a JSON array of strings', () => {
  const r = parseIds(JSON.stringify([A, B, C]), {});
  expect(r.format).toBe('json');
  expect(r.valid).toEqual([A, B, C]);
  expect(r.invalid).toEqual([]);
});

test('nested JSON: keys are scaffolding, string values are candidates, other scalars are structure', () => {
  const text = JSON.stringify({
    data: [
      { id: A, title: 'Brute force', count: 3, closed: false, owner: null },
      { id: B, links: { incidents: [C] } },
    ],
    total: 2,
  });
  const r = parseIds(text, {});
  expect(r.format).toBe('json');
  expect(r.valid).toEqual([A, B, C]);
  // The title is text now: skipped, not invalid.
  expect(r.invalid).toEqual([]);
  expect(r.tokens).toEqual([A, B, C]);
  expect(r.skippedValues).toBe(1);
});

test('JSON keys that are IDs are candidates (maps keyed by ID)', () => {
  const r = parseIds(JSON.stringify({ [A]: 'High', [B]: { note: C, alerts: [D] } }), {});
  // C is under "note", not an ID key: an object's other values are skipped.
  expect(r.valid).toEqual([A, B, D]);
});

test('JSON lines and JSON that does not parse keep keys out', () => {
  const lines = `{"id": "${A}"}\n{"id": "${B}"}\n`;
  expect(parseIds(lines, {})).toMatchObject({ format: 'json-lines', valid: [A, B], invalid: [] });
  const truncated = `[{"id": "${A}", "title": "x"}, {"id": "${B}", "tit`;
  const r = parseIds(truncated, {});
  expect(r.valid).toEqual([A, B]);
  expect(r.invalid).toEqual([]);
  expect(r.skippedWords).toBe(2);
  const python = `{'id': '${C}', 'severity': 'High'}`;
  expect(parseIds(python, {})).toMatchObject({ valid: [C], invalid: [], skippedWords: 1 });
});

test('CSV with a header row: only the ID column is read', () => {
  const csv = `id,title,severity\n${A},"Brute force, SSH",High\n${B},Phishing,Low\n`;
  const r = parseIds(csv, {});
  expect(r.header).toEqual(['id', 'title', 'severity']);
  expect(r.format).toBe('csv');
  expect(r.valid).toEqual([A, B]);
  // Titles and severities are other columns now: skipped, not invalid.
  expect(r.invalid).toEqual([]);
  expect(r.tokens).toEqual([A, B]);
});

test('a single-column CSV header and a quoted header row', () => {
  expect(parseIds(`alert_id\n${A}\n${B}`, {})).toMatchObject({
    header: ['alert_id'],
    valid: [A, B],
    invalid: [],
  });
  expect(parseIds(`"ID";"Name"\r\n"${A}";"x"`, {})).toMatchObject({
    header: ['ID', 'Name'],
    valid: [A],
  });
});

test('no header when the first row holds an ID or resembles one', () => {
  expect(parseIds(`${A},x\n${B},y`, {})).toMatchObject({ header: null, valid: [A, B] });
  const truncated = A.slice(0, 30);
  const r = parseIds(`${truncated}\n${B}`, {});
  expect(r.header).toBeNull();
  // A truncated UUID is told as such now.
  expect(worded(r.invalid)).toEqual([
    {
      token: truncated,
      reason: 'not a UUID: groups of 8-4-4-4-6 characters (a UUID has 8-4-4-4-12)',
    },
  ]);
  // Words after an ID-named first line are text: nothing is sent.
  expect(parseIds('id\nfoo\nbar', {})).toMatchObject({
    header: ['id'],
    tokens: [],
    invalid: [],
    skippedWords: 2,
  });
});

test('URLs: query values and path segments; scheme, host and path words are scaffolding', () => {
  const text = [
    `https://console.example.com/v1/${PROJECT}/workspaces/${WORKSPACE}/soc/alerts/${A}?ids=${B}%2C${C}&lang=en`,
    `http://127.0.0.1:8080/batches?subject=${D}#top`,
  ].join('\n');
  const r = parseIds(text, { projectId: PROJECT, workspaceId: WORKSPACE });
  expect(r.valid).toEqual([A, B, C, D]);
  expect(r.invalid).toEqual([]);
  expect(worded(r.ignored)).toEqual([
    { token: PROJECT, reason: 'project ID' },
    { token: WORKSPACE, reason: 'current workspace ID' },
  ]);
  expect(r.tokens).toEqual([A, B, C, D]);
});

test('console URLs with hash routes, scheme-less hosts and absolute paths', () => {
  const text = [
    `https://console-intl.huaweicloud.com/secmaster/?region=ap-southeast-1&locale=en-us#/secmaster/incidents/detail?id=${A}&workspace=${WORKSPACE}`,
    `console.example.com/secmaster/alerts/${B}.json`,
    `/v1/p/workspaces/w/soc/indicators/${C}`,
  ].join(' ');
  const r = parseIds(text, { workspaceId: WORKSPACE });
  expect(r.valid).toEqual([A, B, C]);
  expect(r.invalid).toEqual([]);
});

test('a URL without any ID is text; a malformed ID in a URL is invalid', () => {
  const r = parseIds('https://wiki.example.com/runbooks/phishing', {});
  expect(r).toMatchObject({ tokens: [], invalid: [], skippedWords: 1 });
  const truncated = A.slice(0, 23);
  expect(
    parseIds(`https://console.example.com/secmaster/alerts/${truncated}?tab=x`, {}),
  ).toMatchObject({ valid: [], invalid: [{ token: truncated }] });
});

test('decoration glued to an ID: key=value, trailing dots, labels', () => {
  const r = parseIds(`alert_id=${A}. Also ${B}: and #${C}!`, {});
  expect(r.valid).toEqual([A, B, C]);
  expect(r.invalid).toEqual([]);
  expect(r.skippedWords).toBe(2);
});

test('duplicates, including UUID case variants: first copy wins and every copy is sent', () => {
  const r = parseIds(`${A}\n${A.toUpperCase()}\n${B}\n${A}\n${C}\n${C.toUpperCase()}`, {});
  // C has no dashes: not a UUID, so its upper-case form is a different ID.
  expect(r.valid).toEqual([A, B, C, C.toUpperCase()]);
  expect(r.duplicates).toBe(2);
  // Every copy is sent in canonical form (UUIDs in lower case).
  expect(r.tokens).toEqual([A, A, B, A, C, C.toUpperCase()]);
});

test('invalid duplicates count as duplicates too', () => {
  const short = A.slice(0, 30);
  const r = parseIds(`${short} ${short} ${C.slice(0, 28)}`, {});
  expect(r).toMatchObject({ duplicates: 1, tokens: [short, short, C.slice(0, 28)] });
  expect(r.invalid.map((i) => i.token)).toEqual([short, C.slice(0, 28)]);
});

test('project, workspace and subject IDs are ignored with a reason, in any case, listed once', () => {
  const r = parseIds(`${PROJECT} ${WORKSPACE.toUpperCase()} ${A} ${WORKSPACE} ${B}`, {
    projectId: PROJECT,
    workspaceId: WORKSPACE,
    subjectId: B,
  });
  expect(r.valid).toEqual([A]);
  expect(r.tokens).toEqual([A]);
  expect(worded(r.ignored)).toEqual([
    { token: PROJECT, reason: 'project ID' },
    { token: WORKSPACE.toUpperCase(), reason: 'current workspace ID' },
    { token: B, reason: 'subject object' },
  ]);
});

test('invalid tokens are listed with a reason and still sent', () => {
  // Words ("short", "bad*chars") and runs with no digit ('a' × 65) are text now.
  const long = `${C}${C}${C.slice(0, 8)}`;
  const short = C.slice(0, 30);
  const r = parseIds(`short ${short} ${A} ${'a'.repeat(65)} ${long} bad*chars é${C}`, {});
  expect(r.valid).toEqual([A]);
  expect(worded(r.invalid)).toEqual([
    { token: short, reason: 'shorter than 32 characters' },
    { token: long, reason: 'longer than 64 characters' },
    { token: `é${C}`, reason: 'not only letters, digits, "-" and "_"' },
  ]);
  expect(r.tokens).toEqual([short, A, long, `é${C}`]);
  expect(r.skippedWords).toBe(3);
});

test('tokens longer than 1024 characters are listed as too long and not sent', () => {
  const huge = '0a'.repeat(513);
  const r = parseIds(`${A}\n${huge}\n${huge}\n${'x'.repeat(1025)}`, {});
  expect(r.tokens).toEqual([A]);
  expect(worded(r.invalid)).toEqual([{ token: huge, reason: 'too long' }]);
  expect(r.duplicates).toBe(0);
});

test('empty and blank input', () => {
  for (const text of ['', '   ', '\n\n\t', ',;|"[]{}']) {
    expect(parseIds(text, {})).toMatchObject({
      tokens: [],
      valid: [],
      duplicates: 0,
      invalid: [],
      ignored: [],
    });
  }
  expect(parseIds('[]', {})).toMatchObject({ format: 'json', tokens: [] });
});

test('unicode text: words are text, IDs next to them are found, control characters split', () => {
  const r = parseIds(`告警 ${A}、事件：${B}\u0000${C} 🚨 naïve 告警ID是${D}🚨`, {});
  expect(r.valid).toEqual([A, B, C, D]);
  // CJK characters and emoji separate words: "告警", "事件" and "🚨" are not even words.
  expect(r.invalid).toEqual([]);
  expect(r.skippedWords).toBe(2); // naïve, ID
  // eslint-disable-next-line no-control-regex -- asserting that none got through
  expect(r.tokens.every((t) => !/[\u0000-\u001f]/.test(t))).toBe(true);
});

test('HTML and script text stays inert text tokens', () => {
  const text = `<script>alert("x")</script><img src=x onerror=alert(1)> ${A} javascript:alert(1)`;
  const r = parseIds(text, {});
  expect(r.valid).toEqual([A]);
  expect(r.tokens).toEqual([A]);
  expect(r.invalid).toEqual([]);
  expect(r.skippedWords).toBeGreaterThan(5);
});

test('4 MB of 100,000 IDs, with duplicates and noise', () => {
  const ids = Array.from({ length: 100_000 }, (_, i) => {
    const hex = i.toString(16).padStart(12, '0');
    return `3f2a9c1e-5b7d-4e8f-9a0b-${hex}`;
  });
  const lines = ids.map((id, i) => (i % 10 === 0 ? `${id.toUpperCase()},note` : id));
  lines.push(ids[0] ?? '', 'x');
  const text = lines.join('\n');
  expect(text.length).toBeGreaterThan(3_700_000);
  const r = parseIds(text, {});
  expect(r.valid).toHaveLength(100_000);
  // The 10,000 "note" cells are text now, not 1 invalid token and 9,999 duplicates.
  expect(r.duplicates).toBe(1);
  expect(r.invalid).toEqual([]);
  expect(r.skippedWords).toBe(10_001);
  expect(r.tokens).toHaveLength(100_000 + 1);
  expect(r.valid.every((id) => id === id.toLowerCase())).toBe(true);
});

test('fastIdKey equals idKey and canonicalId', () => {
  for (const v of [
    A,
    A.toUpperCase(),
    B,
    C,
    C.toUpperCase(),
    D,
    'x',
    `${A}x`,
    A.replace('-', '_'),
    'G'.repeat(36),
  ]) {
    expect(fastIdKey(v)).toBe(idKey(v));
    expect(fastIdKey(v)).toBe(canonicalId(v));
  }
});

test('isLowerUuid: exactly the lower-case UUIDs among runs of ID characters', () => {
  for (const run of [A, B, WORKSPACE]) expect(isLowerUuid(run)).toBe(true);
  for (const run of [
    A.toUpperCase(),
    `${A.slice(0, 35)}g`,
    `${A.slice(0, 28)}-${A.slice(29)}`,
    A.replace('-', '_'),
    `-${A.slice(1)}`,
    C,
    D,
  ])
    expect(isLowerUuid(run)).toBe(false);
});

describe('formatSummary', () => {
  test('N valid · D duplicates · X invalid, plus ignored when any', () => {
    expect(formatSummary(parseIds(`${A} ${A} ${C.slice(1)}`, {}))).toBe(
      '1 valid · 1 duplicates · 1 invalid',
    );
    expect(formatSummary(parseIds(`${A} ${PROJECT}`, { projectId: PROJECT }))).toBe(
      '1 valid · 0 duplicates · 0 invalid · 1 ignored',
    );
  });
});

describe('ID-shaped or text (runVerdict)', () => {
  test.each([
    ['a UUID, any case', A, ID],
    ['an upper-case UUID', A.toUpperCase(), ID],
    ['32 hex digits', C, ID],
    ['letters, digits, "-" and "_"', D, ID],
    ['a word', 'Web', TEXT],
    ['a host name', 'dev-ws-16', TEXT],
    ['a date', '2026-11-03', TEXT],
    ['a number', '12345678901234567890123456789012345', TEXT],
    ['a card-like number', '4111-1111-1111-1111', TEXT],
    ['a snake_case name with digits', 'invoice_2026_11_final_v2_copy', TEXT],
    ['a long word without digits', 'remote-code-execution-attempt-detected', TEXT],
  ])('%s', (_name, run, verdict) => {
    expect(runVerdict(run)).toBe(verdict);
  });

  test.each([
    ['8-4-4-4-9', `${A.slice(0, 33)}`, 'not a UUID: groups of 8-4-4-4-9 characters'],
    ['8-4-4-4-13', `${A}0`, 'not a UUID: groups of 8-4-4-4-13 characters'],
    ['truncated at a group', A.slice(0, 23), 'not a UUID: groups of 8-4-4-4 characters'],
    ['a letter past f', `${A.slice(0, 35)}g`, 'not a UUID: "g" is not a hexadecimal digit'],
    ['24–31 characters', C.slice(0, 28), 'shorter than 32 characters'],
    ['over 64 characters', `${C}${C}${C}`, 'longer than 64 characters'],
  ])('malformed: %s', (_name, run, reason) => {
    expect(wordsOf(issueText(runVerdict(run) as IssueReason))).toContain(reason);
  });
});

test('text is never counted: words, times, dates, numbers, addresses, host names, e-mail, emoji', () => {
  const text = [
    'Web shell detected on dev-ws-16, Low, Open',
    '2026-11-03T10:15:00Z 2026-11-03 10:15:00.123+08:00 1762164900000 3,000 42',
    '10.0.0.1 192.168.10.254:8443 fe80::1ff:fe23:4567:890a 2001:0db8:85a3:0000:0000:8a2e:0370:7334',
    'dev-ws-16.corp.example.com alice.smith@example.com 00-1A-2B-3C-4D-5E 4111-1111-1111-1111',
    '👍🏽 🚨✅ ❤️ — … © ™ ½ ±',
    'CVE-2024-12345 T1059.001 SHA256 v2.3.1-rc1 x86_64',
  ].join('\n');
  const r = parseIds(text, {});
  expect(r).toMatchObject({ tokens: [], valid: [], invalid: [], duplicates: 0 });
  expect(r.skippedWords).toBeGreaterThan(30);
  expect(formatSkipped(r)).toBe(`${r.skippedWords} words of text skipped`);
});

test('a chat message: only the IDs, upper-case UUIDs lower-cased', () => {
  const chat = `hey 👋 can you link these to the ransomware incident? 👇\n\n• ${A.toUpperCase()}\n• ${B} (the one from dev-ws-16)\n• ${C}\n\nthanks!! 🙏🙏`;
  const r = parseIds(chat, {});
  expect(r.valid).toEqual([A, B, C]);
  expect(r.tokens).toEqual([A, B, C]);
  expect(formatSummary(r)).toBe('3 valid · 0 duplicates · 0 invalid');
  // 9 + 4 + "thanks": bullets and emoji are separators, not words.
  expect(r.skippedWords).toBe(14);
});

test('malformed UUIDs, forbidden characters and over-long runs are invalid, with the reason', () => {
  const extended = `${A.slice(0, 33)}`; // 8-4-4-4-9
  const truncated = A.slice(0, 30); // 8-4-4-4-6
  const cyrillic = `${A.slice(0, 30)}\u0430${A.slice(31)}`; // a Cyrillic "а" inside
  const glued = `${A}${B}`;
  const r = parseIds(`${extended}\n${truncated}\n${cyrillic}\n${glued}\n${A}`, {});
  expect(r.valid).toEqual([A]);
  expect(worded(r.invalid)).toEqual([
    {
      token: extended,
      reason: 'not a UUID: groups of 8-4-4-4-9 characters (a UUID has 8-4-4-4-12)',
    },
    {
      token: truncated,
      reason: 'not a UUID: groups of 8-4-4-4-6 characters (a UUID has 8-4-4-4-12)',
    },
    { token: cyrillic, reason: 'not only letters, digits, "-" and "_"' },
    { token: glued, reason: 'longer than 64 characters' },
  ]);
  // The extended UUID is listed but not sent: the API's rule (32–64 characters) would take it
  // and SecMaster would answer "not found". The others are sent and recorded as invalid.
  expect(r.tokens).toEqual([truncated, cyrillic, glued, A]);
});

test('upper-case UUIDs come out in lower case; other IDs as pasted', () => {
  const r = parseIds(`${A.toUpperCase()}\n${D}\n${C.toUpperCase()}`, {});
  expect(r.valid).toEqual([A, D, C.toUpperCase()]);
  expect(r.tokens).toEqual([A, D, C.toUpperCase()]);
});

describe('CSV and TSV exports', () => {
  const rows = [
    [A, 'Web shell detected on dev-ws-16, blocked', 'Low', 'Open', '2026-11-03T10:15:00Z', 'alice'],
    [B, 'Brute force, SSH "root"\nfrom 10.0.0.7', 'High', 'Closed', '2026-11-03T11:00:00Z', 'bob'],
    [C, 'Phishing', 'Medium', 'Open', '2026-11-04T08:00:00Z', 'carol@example.com'],
  ];
  const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

  test('a CSV export: only the ID column is read, quoted commas and line breaks included', () => {
    const csv = [
      'ID,title,severity,status,time,owner',
      ...rows.map((r) => r.map(csvCell).join(',')),
    ].join('\r\n');
    const r = parseIds(`${csv}\r\n`, {});
    expect(r.format).toBe('csv');
    expect(r.valid).toEqual([A, B, C]);
    expect(r.tokens).toEqual([A, B, C]);
    expect(formatSummary(r)).toBe('3 valid · 0 duplicates · 0 invalid');
    expect(r.table).toMatchObject({
      delimiter: ',',
      header: ['ID', 'title', 'severity', 'status', 'time', 'owner'],
      idColumns: [{ index: 0, name: 'ID', dataclass: null }],
      column: 0,
      rows: 3,
    });
  });

  test('a TSV export with an "Alert ID" column not first', () => {
    const tsv = [
      'Title\tAlert ID\tSeverity',
      ...rows.map((r) => [r[1]?.replace(/\n/g, ' '), r[0], r[2]].join('\t')),
    ].join('\n');
    const r = parseIds(tsv, {});
    expect(r.format).toBe('tsv');
    expect(r.valid).toEqual([A, B, C]);
    expect(r.invalid).toEqual([]);
    expect(r.table).toMatchObject({
      idColumns: [{ index: 1, name: 'Alert ID', dataclass: 'alerts' }],
      column: 1,
    });
  });

  test('a column found by content, and malformed IDs in it are invalid', () => {
    // A header naming an ID (here scaffolding) makes a table; `ref` is an ID column by content.
    const csv = `ref,note,workspace_id\n${A},x,${WORKSPACE}\n${A.slice(0, 30)},y,${WORKSPACE}\n${B},z,${WORKSPACE}\n`;
    const r = parseIds(csv, {});
    expect(r.valid).toEqual([A, B]);
    expect(r.invalid.map((i) => i.token)).toEqual([A.slice(0, 30)]);
    expect(r.ignored).toEqual([]);
    expect(r.table?.idColumns).toEqual([{ index: 0, name: 'ref', dataclass: null }]);
    // A header naming no ID is not a table: read as text, the same IDs.
    const plain = parseIds(`ref,note\n${A},x\n${A.slice(0, 30)},y\n${B},z\n`, {});
    expect(plain).toMatchObject({ table: null, valid: [A, B] });
    expect(plain.invalid.map((i) => i.token)).toEqual([A.slice(0, 30)]);
  });

  test('comma-separated IDs under a prose first line are text: every ID is read', () => {
    const [U1, U2, U3, U4] = [1, 2, 3, 4].map((i) => `3f2a9c1e-5b7d-4e8f-9a0b-00000000000${i}`);
    const r = parseIds(`Hi team, please link these\n${U1}, ${U2}\n${U3}, ${U4}`, {});
    expect(r).toMatchObject({ format: 'text', table: null, valid: [U1, U2, U3, U4] });
    // The same rows under a header naming IDs are a table.
    const t = parseIds(`alert_id, incident_id\n${U1}, ${U2}\n${U3}, ${U4}`, {});
    expect(t).toMatchObject({ format: 'csv', valid: [U1, U3] });
  });

  test('two columns with the same header: told apart by position, both can be picked', () => {
    const I1 = '11111111-2222-4333-8444-555555555555';
    const I2 = '11111111-2222-4333-8444-666666666666';
    const csv = `id,title,id\n${A},x,${I1}\n${B},y,${I2}\n`;
    const r = parseIds(csv, {});
    expect(r.table?.idColumns).toEqual([
      { index: 0, name: 'id (column 1)', dataclass: null },
      { index: 2, name: 'id (column 3)', dataclass: null },
    ]);
    expect(r.valid).toEqual([A, B]);
    const second = parseIds(csv, { idColumn: 'id (column 3)' });
    expect(second.table?.column).toBe(2);
    expect(second.valid).toEqual([I1, I2]);
    expect(parseIds(csv, { idColumn: 'id (column 1)' }).valid).toEqual([A, B]);
    // A pick stored before (the bare header) still selects the first column of that name.
    expect(parseIds(csv, { idColumn: 'id' }).table?.column).toBe(0);
  });

  test('a row of another shape is never read: listed with its line when it holds an ID', () => {
    const id = (prefix: string, i: number) =>
      `${prefix}-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const row = (i: number, title = 'Brute force') =>
      `${id('aaaaaaaa', i)},${title},${id('bbbbbbbb', i)},${id('dddddddd', i)}`;
    const alerts = (n: number) => Array.from({ length: n }, (_, i) => id('aaaaaaaa', i));
    const header = 'alert_id,title,incident_id,domain_id';

    // The reviewer's case: 13 good rows, then one whose title has an unquoted comma.
    const rows = alerts(13).map((_, i) => row(i));
    const r = parseIds([header, ...rows, row(99, 'Brute force, SSH')].join('\n'), {
      relatedClass: 'alerts',
    });
    expect(r.format).toBe('csv');
    expect(r.valid).toEqual(alerts(13));
    expect(r.tokens).toEqual(alerts(13));
    expect(worded(r.ignored)).toEqual([
      { token: 'line 15', reason: '5 cells, the header has 4; not read' },
    ]);
    expect(formatSummary(r)).toBe('13 valid · 0 duplicates · 0 invalid · 1 ignored');

    // Lines counted across a quoted line break and a blank line; a row missing a cell (its
    // incident ID would sit in the alert_id column) is not read either; one holding nothing
    // ID-shaped is not listed.
    const many = alerts(27).map((_, i) => row(i, i === 2 ? '"Web shell,\nblocked"' : 'x'));
    const csv = [
      header,
      ...many,
      '',
      row(99, 'Brute force, SSH'),
      `Brute force,${id('bbbbbbbb', 98)},${id('dddddddd', 98)}`,
      'end of export',
    ].join('\n');
    const m = parseIds(csv, { relatedClass: 'alerts' });
    expect(m.format).toBe('csv');
    expect(m.tokens).toEqual(alerts(27));
    expect(worded(m.ignored)).toEqual([
      { token: 'line 31', reason: '5 cells, the header has 4; not read' },
      { token: 'line 32', reason: '3 cells, the header has 4; not read' },
    ]);
  });

  test('two ID columns: the default follows the related class; picking the other reads it', () => {
    const I1 = '11111111-2222-4333-8444-555555555555';
    const I2 = '11111111-2222-4333-8444-666666666666';
    const csv = `alert_id,incident_id,title,workspace_id\n${A},${I1},x,${WORKSPACE}\n${B},${I2},"y, z",${WORKSPACE}\n`;
    const alerts = parseIds(csv, { relatedClass: 'alerts' });
    expect(alerts.valid).toEqual([A, B]);
    expect(alerts.table?.idColumns.map((c) => c.name)).toEqual(['alert_id', 'incident_id']);
    expect(alerts.table?.column).toBe(0);
    const incidents = parseIds(csv, { relatedClass: 'incidents' });
    expect(incidents.valid).toEqual([I1, I2]);
    expect(incidents.table?.column).toBe(1);
    // The analyst picks the other column: it wins over the related class.
    const picked = parseIds(csv, { relatedClass: 'alerts', idColumn: 'incident_id' });
    expect(picked.valid).toEqual([I1, I2]);
    expect(picked.table?.column).toBe(1);
    // A pick that names no column of this table falls back to the default.
    expect(parseIds(csv, { relatedClass: 'alerts', idColumn: 'gone' }).valid).toEqual([A, B]);
    // With no related class: the first ID column.
    expect(parseIds(csv, {}).valid).toEqual([A, B]);
  });

  test('semicolons, blank lines, and a footer line of another shape', () => {
    const csv = `"Indicator ID";"Name"\n"${A}";"x; y"\n\n"${B}";"z"\n`;
    const r = parseIds(csv, {});
    expect(r.format).toBe('csv');
    expect(r.header).toEqual(['Indicator ID', 'Name']);
    expect(r.valid).toEqual([A, B]);
    const ids = Array.from({ length: 10 }, (_, i) => `${A.slice(0, 34)}${i}${i}`);
    const withFooter = `id,name\n${ids.map((id) => `${id},n`).join('\n')}\nExported by ${C}`;
    const f = parseIds(withFooter, {});
    expect(f.format).toBe('csv');
    // The footer is of another shape: not read, listed (its cells cannot be told apart).
    expect(f.valid).toEqual(ids);
    expect(worded(f.ignored)).toEqual([
      { token: 'line 12', reason: '1 cell, the header has 2; not read' },
    ]);
  });

  test('text with commas is not a table', () => {
    const text = `hey, can you link these?\n${A}\n${B}, ${C}\nthanks, bye`;
    const r = parseIds(text, {});
    expect(r.table).toBeNull();
    expect(r.valid).toEqual([A, B, C]);
  });

  test('a first line naming no ID column over IDs is text, not a table', () => {
    const r = parseIds(`title,severity\nWeb shell,Low\nPhishing,High\n`, {});
    expect(r).toMatchObject({ table: null, tokens: [], invalid: [] });
  });
});

describe('JSON', () => {
  const P = PROJECT;
  const DOMAIN = '9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e';
  const DATACLASS = '7c6d5e4f-3a2b-4c1d-9e8f-7a6b5c4d3e2f';
  const RESOURCE = 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e';
  const alert = (id: string) => ({
    id,
    data_object: {
      id,
      title: `Web shell on dev-ws-16 ${id.slice(0, 4)}`,
      severity: 'High',
      domain_id: DOMAIN,
      region_id: 'cn-north-4',
      project_id: P,
      workspace_id: WORKSPACE,
      dataclass_ref: { id: DATACLASS, name: 'Alert' },
      resource_list: [{ id: RESOURCE, domain_id: DOMAIN }],
      create_time: '2026-11-03T10:15:00.000Z+0800',
      count: 4,
    },
    project_id: P,
    workspace_id: WORKSPACE,
    dataclass_ref: { id: DATACLASS, name: 'Alert' },
    version: 3,
  });

  test('a SecMaster search answer gives exactly the objects’ IDs', () => {
    const answer = { code: '00000000', message: '', total: 3, data: [A, B, C].map(alert) };
    const r = parseIds(JSON.stringify(answer, null, 2), {});
    expect(r.format).toBe('json');
    expect(r.valid).toEqual([A, B, C]);
    expect(r.tokens).toEqual([A, B, C]);
    expect(formatSummary(r)).toBe('3 valid · 0 duplicates · 0 invalid · 4 ignored');
    expect(worded(r.ignored)).toEqual([
      { token: P, reason: 'project_id (not a related object)' },
      { token: WORKSPACE, reason: 'workspace_id (not a related object)' },
      { token: DATACLASS, reason: 'dataclass_ref.id (not a related object)' },
      { token: DOMAIN, reason: 'domain_id (not a related object)' },
    ]);
    // The configured project and workspace keep their reasons.
    const configured = parseIds(JSON.stringify(answer), { projectId: P, workspaceId: WORKSPACE });
    expect(worded(configured.ignored.slice(0, 2))).toEqual([
      { token: P, reason: 'project ID' },
      { token: WORKSPACE, reason: 'current workspace ID' },
    ]);
  });

  test('keys naming the related class are taken; another class’s are not', () => {
    const I1 = '11111111-2222-4333-8444-555555555555';
    const rows = [
      { alert_id: A, incident_id: I1, note: C },
      { alert_id: B, incident_id: I1 },
    ];
    expect(parseIds(JSON.stringify(rows), { relatedClass: 'alerts' }).valid).toEqual([A, B]);
    expect(parseIds(JSON.stringify(rows), { relatedClass: 'incidents' }).valid).toEqual([I1]);
    expect(
      parseIds(JSON.stringify({ alertIds: [A, B], 'Incident IDs': [I1] }), {
        relatedClass: 'alerts',
      }).valid,
    ).toEqual([A, B]);
  });

  test('JSON lines of SecMaster objects', () => {
    const lines = [A, B].map((id) => JSON.stringify(alert(id))).join('\n');
    const r = parseIds(lines, {});
    expect(r).toMatchObject({ format: 'json-lines', valid: [A, B], invalid: [] });
  });

  test('JSON that does not parse: scaffolding keys still mark their value', () => {
    const truncated = `{"data": [{"id": "${A}", "domain_id": "${DOMAIN}", "title": "x"}, {"id": "${B}", "proj`;
    const r = parseIds(truncated, {});
    expect(r.valid).toEqual([A, B]);
    expect(worded(r.ignored)).toEqual([
      { token: DOMAIN, reason: 'domain_id (not a related object)' },
    ]);
  });
});

test('console URLs: path segments and query values that are IDs, the project skipped', () => {
  const text = [
    `https://console.huaweicloud.com/secmaster/?region=cn-north-4#/secmaster/alerts/detail?id=${A.toUpperCase()}&workspace=${WORKSPACE}`,
    `https://console.example.com/v1/${PROJECT}/workspaces/${WORKSPACE}/soc/incidents/${B}`,
  ].join('\n');
  const r = parseIds(text, { projectId: PROJECT, workspaceId: WORKSPACE });
  expect(r.valid).toEqual([A, B]);
  expect(r.invalid).toEqual([]);
  expect(r.ignored.map((i) => wordsOf(issueText(i.reason)))).toEqual([
    'current workspace ID',
    'project ID',
  ]);
});

describe('the server records as invalid what the paste lists as a malformed UUID', () => {
  test.each([
    '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14a',
    '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2',
    '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2dzz',
    '3f1c9a527b4e-4d2a-9c61-0e8f5a7b2d14',
  ])('%s', (token) => {
    const parsed = parseIds(token);
    expect(parsed.valid).toEqual([]);
    expect(parsed.invalid.map((i) => i.token)).toEqual([token]);
    expect(malformedUuidReason(token)).toBe(wordsOf(issueText(parsed.invalid[0]!.reason)));
  });
  test('a UUID and a plain 32-character ID are not malformed', () => {
    expect(malformedUuidReason('3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14')).toBeNull();
    expect(malformedUuidReason('0a1b2c3d4e5f40718293a4b5c6d7e8f9')).toBeNull();
  });
});
