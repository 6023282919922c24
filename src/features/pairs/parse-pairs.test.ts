import { describe, expect, test } from 'vitest';
import { formatPairsSummary, parsePairs } from './parse-pairs';

const opts = { subjectClass: 'incidents', relatedClass: 'alerts' } as const;
const I1 = 'incident00000000000000000000000001';
const I2 = 'incident00000000000000000000000002';
const A1 = '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';
const A2 = '0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f';
const A3 = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';

describe('parsePairs', () => {
  test('reads headerless CSV rows as subject, related ID', () => {
    const r = parsePairs(`${I1},${A1}\n${I1},${A2}\n${I2},${A3}\n`, opts);
    expect(r.pairs).toEqual([
      { data_object_id: I1, id: A1 },
      { data_object_id: I1, id: A2 },
      { data_object_id: I2, id: A3 },
    ]);
    expect(r.subjects).toBe(2);
    expect(r.header).toBeNull();
    expect(formatPairsSummary(r)).toBe('3 pairs · 2 subjects · 0 duplicates · 0 invalid');
  });

  test('TSV and white-space separated rows, blank lines skipped', () => {
    expect(parsePairs(`${I1}\t${A1}\n\n${I2}\t${A2}`, opts).pairs).toHaveLength(2);
    expect(parsePairs(`${I1}   ${A1}\n${I2} ${A2}\n`, opts).pairs).toEqual([
      { data_object_id: I1, id: A1 },
      { data_object_id: I2, id: A2 },
    ]);
  });

  test('a header chooses the columns by name, whatever their order, and scaffolding is not read', () => {
    const text = [
      'workspace_id,Alert ID,title,Incident ID',
      `ws000000000000000000000000000000001,${A1},"Phish, wave 1",${I1}`,
      `ws000000000000000000000000000000001,${A2},other,${I2}`,
    ].join('\r\n');
    const r = parsePairs(text, opts);
    expect(r.header).toEqual(['workspace_id', 'Alert ID', 'title', 'Incident ID']);
    expect(r.columns).toEqual({ subject: 3, related: 1 });
    expect(r.pairs).toEqual([
      { data_object_id: I1, id: A1 },
      { data_object_id: I2, id: A2 },
    ]);
  });

  test('a header that does not name the classes falls back to the ID-shaped columns', () => {
    const r = parsePairs(`note;from;to\nx;${I1};${A1}\ny;${I2};${A2}\n`, opts);
    expect(r.columns).toEqual({ subject: 1, related: 2 });
    expect(r.pairs).toHaveLength(2);
  });

  test('subject and generic id columns', () => {
    const r = parsePairs(`subject,id\n${I1},${A1}\n`, opts);
    expect(r.pairs).toEqual([{ data_object_id: I1, id: A1 }]);
  });

  test('duplicates are dropped and counted; UUIDs compare case-insensitively and are lower-cased', () => {
    const r = parsePairs(`${I1},${A1.toUpperCase()}\n${I1},${A1}\n${I2},${A1}\n`, opts);
    expect(r.pairs).toEqual([
      { data_object_id: I1, id: A1 },
      { data_object_id: I2, id: A1 },
    ]);
    expect(r.duplicates).toBe(1);
    expect(r.subjects).toBe(2);
  });

  test('invalid lines are listed with their line and reason', () => {
    const text = [
      `${I1},${A1}`,
      `${I1},short-id`,
      `bad subject,${A2}`,
      `${I1},3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6z`,
      `${I2}`,
      `${A3},${A3}`,
    ].join('\n');
    const r = parsePairs(text, opts);
    expect(r.pairs).toEqual([{ data_object_id: I1, id: A1 }]);
    expect(r.invalid.map((i) => i.line)).toEqual([2, 3, 4, 5, 6]);
    expect(r.invalid.map((i) => i.reason)).toEqual([
      { code: 'malformedId', side: 'related', value: 'short-id' },
      { code: 'malformedId', side: 'subject', value: 'bad subject' },
      {
        code: 'malformedUuid',
        side: 'related',
        value: '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6z',
        uuid: 'not a UUID: "z" is not a hexadecimal digit',
      },
      { code: 'missingId', side: 'related' },
      { code: 'sameObject' },
    ]);
    expect(formatPairsSummary(r)).toBe('1 pairs · 1 subjects · 0 duplicates · 5 invalid');
  });

  test('with a header, a row of another width is not read; quoted line breaks keep line numbers', () => {
    const text = `incident_id,alert_id,title\n${I1},${A1},"two\nlines"\n${I2},${A2}\n`;
    const r = parsePairs(text, opts);
    expect(r.pairs).toEqual([{ data_object_id: I1, id: A1 }]);
    expect(r.invalid).toEqual([
      { line: 4, text: `${I2},${A2}`, reason: { code: 'cellCount', cells: 2, expected: 3 } },
    ]);
  });

  test('same subject and related class: the first class column is the subject', () => {
    const r = parsePairs(`alert_id,related_alert_id\n${A1},${A2}\n`, {
      subjectClass: 'alerts',
      relatedClass: 'alerts',
    });
    expect(r.pairs).toEqual([{ data_object_id: A1, id: A2 }]);
  });

  test('nothing pasted', () => {
    expect(formatPairsSummary(parsePairs('  \n', opts))).toBe(
      '0 pairs · 0 subjects · 0 duplicates · 0 invalid',
    );
  });
});
