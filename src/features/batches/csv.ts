import type { BatchItem } from '../../api/schemas';

export const CSV_HEADER = ['id', 'state', 'code', 'message', 'request_id', 'attempts'] as const;

/** Characters that make a spreadsheet read a cell as a formula (CSV/formula injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: formula starters neutralised with a leading quote, then RFC 4180 quoting. */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  if (/[",\r\n]/.test(text)) text = `"${text.replaceAll('"', '""')}"`;
  return text;
}

/** The batch items as CSV (header `id,state,code,message,request_id,attempts`, CRLF lines). */
export function itemsToCsv(items: readonly BatchItem[]): string {
  const lines = [CSV_HEADER.join(',')];
  for (const item of items) {
    lines.push(
      [item.id, item.state, item.code, item.message, item.request_id, item.attempts]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
