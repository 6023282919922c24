import { expect, test } from 'vitest';
import type { BatchItem } from '../../api/schemas';
import { csvCell, itemsToCsv } from './csv';

function item(over: Partial<BatchItem> = {}): BatchItem {
  return {
    id: 'a'.repeat(32),
    state: 'failed',
    code: 'SecMaster.20030005',
    message: 'not found',
    request_id: 'req-1',
    attempts: 1,
    ...over,
  };
}

test('starts with the header row', () => {
  expect(itemsToCsv([]).split('\r\n')[0]).toBe('id,state,code,message,request_id,attempts');
});

test('writes one line per item, empty cells for nulls', () => {
  const csv = itemsToCsv([item({ code: null, message: null, request_id: null, attempts: 0 })]);
  expect(csv).toBe(
    `id,state,code,message,request_id,attempts\r\n${'a'.repeat(32)},failed,,,,0\r\n`,
  );
});

test.each([
  ['=1+2', "'=1+2"],
  ['+SUM(A1)', "'+SUM(A1)"],
  ['-2', "'-2"],
  ['@cmd', "'@cmd"],
  ['\tx', "'\tx"],
])('neutralises the formula starter in %j', (input, expected) => {
  expect(csvCell(input)).toBe(expected);
});

test('neutralises a leading carriage return and then quotes the cell', () => {
  expect(csvCell('\rx')).toBe(`"'\rx"`);
});

test('quotes commas, quotes and line breaks', () => {
  expect(csvCell('a,b')).toBe('"a,b"');
  expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  expect(csvCell('two\nlines')).toBe('"two\nlines"');
});

test('neutralises and quotes together', () => {
  expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
});

test('leaves harmless text and numbers alone', () => {
  expect(csvCell('Rejected by SecMaster')).toBe('Rejected by SecMaster');
  expect(csvCell(3)).toBe('3');
});

test('a malicious message from upstream lands neutralised in the file', () => {
  const csv = itemsToCsv([item({ message: '=cmd|"/c calc"!A1' })]);
  expect(csv).toContain(`,"'=cmd|""/c calc""!A1",`);
});
