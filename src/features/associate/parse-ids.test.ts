import { describe, expect, test } from 'vitest';
import { idKey } from '../../api/schemas';
import { fastIdKey, formatSummary, parseIds } from './parse-ids';

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
  expect(r.invalid.map((i) => i.token)).toEqual(['Brute', 'force']);
  expect(r.tokens).toEqual([A, 'Brute', 'force', B, C]);
});

test('JSON keys that are IDs are candidates (maps keyed by ID)', () => {
  const r = parseIds(JSON.stringify({ [A]: 'High', [B]: { note: C } }), {});
  expect(r.valid).toEqual([A, B, C]);
});

test('JSON lines and JSON that does not parse keep keys out', () => {
  const lines = `{"id": "${A}"}\n{"id": "${B}"}\n`;
  expect(parseIds(lines, {})).toMatchObject({ format: 'json-lines', valid: [A, B], invalid: [] });
  const truncated = `[{"id": "${A}", "title": "x"}, {"id": "${B}", "tit`;
  const r = parseIds(truncated, {});
  expect(r.valid).toEqual([A, B]);
  expect(r.invalid.map((i) => i.token)).toEqual(['x', 'tit']);
  const python = `{'id': '${C}', 'severity': 'High'}`;
  expect(parseIds(python, {})).toMatchObject({ valid: [C], invalid: [{ token: 'High' }] });
});

test('CSV with a header row: header cells are scaffolding, other cells are candidates', () => {
  const csv = `id,title,severity\n${A},"Brute force, SSH",High\n${B},Phishing,Low\n`;
  const r = parseIds(csv, {});
  expect(r.header).toEqual(['id', 'title', 'severity']);
  expect(r.valid).toEqual([A, B]);
  expect(r.invalid.map((i) => i.token)).toEqual([
    'Brute',
    'force',
    'SSH',
    'High',
    'Phishing',
    'Low',
  ]);
  expect(r.tokens).not.toContain('id');
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

test('no header when the first row holds an ID, resembles one, or nothing later is an ID', () => {
  expect(parseIds(`${A},x\n${B},y`, {}).header).toBeNull();
  const truncated = A.slice(0, 30);
  const r = parseIds(`${truncated}\n${B}`, {});
  expect(r.header).toBeNull();
  expect(r.invalid).toEqual([{ token: truncated, reason: 'shorter than 32 characters' }]);
  expect(parseIds('id\nfoo\nbar', {})).toMatchObject({
    header: null,
    invalid: [{ token: 'id' }, { token: 'foo' }, { token: 'bar' }],
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
  expect(r.ignored).toEqual([
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

test('a URL without any ID is listed as invalid, not silently dropped', () => {
  const r = parseIds('https://wiki.example.com/runbooks/phishing', {});
  expect(r.invalid).toEqual([
    { token: 'https://wiki.example.com/runbooks/phishing', reason: 'URL without an ID' },
  ]);
});

test('decoration glued to an ID: key=value, trailing dots, labels', () => {
  const r = parseIds(`alert_id=${A}. Also ${B}: and #${C}!`, {});
  expect(r.valid).toEqual([A, B, C]);
  expect(r.invalid.map((i) => i.token)).toEqual(['Also', 'and']);
});

test('duplicates, including UUID case variants: first copy wins and every copy is sent', () => {
  const r = parseIds(`${A}\n${A.toUpperCase()}\n${B}\n${A}\n${C}\n${C.toUpperCase()}`, {});
  // C has no dashes: not a UUID, so its upper-case form is a different ID.
  expect(r.valid).toEqual([A, B, C, C.toUpperCase()]);
  expect(r.duplicates).toBe(2);
  expect(r.tokens).toHaveLength(6);
});

test('invalid duplicates count as duplicates too', () => {
  const r = parseIds('foo foo bar', {});
  expect(r).toMatchObject({ duplicates: 1, tokens: ['foo', 'foo', 'bar'] });
  expect(r.invalid.map((i) => i.token)).toEqual(['foo', 'bar']);
});

test('project, workspace and subject IDs are ignored with a reason, in any case, listed once', () => {
  const r = parseIds(`${PROJECT} ${WORKSPACE.toUpperCase()} ${A} ${WORKSPACE} ${B}`, {
    projectId: PROJECT,
    workspaceId: WORKSPACE,
    subjectId: B,
  });
  expect(r.valid).toEqual([A]);
  expect(r.tokens).toEqual([A]);
  expect(r.ignored).toEqual([
    { token: PROJECT, reason: 'project ID' },
    { token: WORKSPACE.toUpperCase(), reason: 'current workspace ID' },
    { token: B, reason: 'subject object' },
  ]);
});

test('invalid tokens are listed with a reason and still sent', () => {
  const long = 'a'.repeat(65);
  const r = parseIds(`short ${A} ${long} bad*chars é${C}`, {});
  expect(r.valid).toEqual([A]);
  expect(r.invalid).toEqual([
    { token: 'short', reason: 'shorter than 32 characters' },
    { token: long, reason: 'longer than 64 characters' },
    { token: 'bad*chars', reason: 'not only letters, digits, "-" and "_"' },
    { token: `é${C}`, reason: 'not only letters, digits, "-" and "_"' },
  ]);
  expect(r.tokens).toEqual(['short', A, long, 'bad*chars', `é${C}`]);
});

test('tokens longer than 1024 characters are listed as too long and not sent', () => {
  const huge = 'x'.repeat(1025);
  const r = parseIds(`${A}\n${huge}\n${huge}`, {});
  expect(r.tokens).toEqual([A]);
  expect(r.invalid).toEqual([{ token: huge, reason: 'too long' }]);
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

test('unicode text: words are invalid tokens, IDs next to them are found, control characters split', () => {
  const r = parseIds(`告警 ${A}、事件：${B}\u0000${C} 🚨 naïve`, {});
  expect(r.valid).toEqual([A, B, C]);
  expect(r.invalid.map((i) => i.token)).toEqual(['告警', '事件', '🚨', 'naïve']);
  // eslint-disable-next-line no-control-regex -- asserting that none got through
  expect(r.tokens.every((t) => !/[\u0000-\u001f]/.test(t))).toBe(true);
});

test('HTML and script text stays inert text tokens', () => {
  const text = `<script>alert("x")</script><img src=x onerror=alert(1)> ${A} javascript:alert(1)`;
  const r = parseIds(text, {});
  expect(r.valid).toEqual([A]);
  expect(r.tokens.every((t) => typeof t === 'string' && !t.includes('<'))).toBe(true);
  expect(r.invalid.map((i) => i.token)).toContain('onerror=alert');
  expect(r.invalid.map((i) => i.token)).toContain('javascript:alert');
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
  expect(r.duplicates).toBe(1 + 9_999);
  expect(r.invalid.map((i) => i.token)).toEqual(['note', 'x']);
  expect(r.tokens).toHaveLength(100_000 + 10_000 + 2);
});

test('fastIdKey equals idKey', () => {
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
  }
});

describe('formatSummary', () => {
  test('N valid · D duplicates · X invalid, plus ignored when any', () => {
    expect(formatSummary(parseIds(`${A} ${A} foo`, {}))).toBe('1 valid · 1 duplicates · 1 invalid');
    expect(formatSummary(parseIds(`${A} ${PROJECT}`, { projectId: PROJECT }))).toBe(
      '1 valid · 0 duplicates · 0 invalid · 1 ignored',
    );
  });
});
