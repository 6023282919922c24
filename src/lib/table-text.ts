/**
 * Pasted tables (CSV, TSV): reading one record, and what a column's header names. Shared by the
 * paste parser (one subject's related IDs) and the pairs parser (subject and related ID per row).
 * Pure and allocation-light: the paste parser runs it over 100,000 rows in a Web Worker.
 */
import type { DataclassType } from '../api/schemas';

/** The delimiters of a pasted CSV/TSV table. */
export type Delimiter = ',' | ';' | '\t';

const UNQUOTED_Y: Record<Delimiter, RegExp> = {
  ',': /[^,\r\n]*/y,
  ';': /[^;\r\n]*/y,
  '\t': /[^\t\r\n]*/y,
};

/**
 * One record of RFC 4180 text from `start`: fields split at `delim`, quoted fields with `""`
 * escapes and embedded delimiters and line breaks; CRLF or LF ends the record.
 */
export function readRecord(
  text: string,
  start: number,
  delim: Delimiter,
): { fields: string[]; next: number } {
  const fields: string[] = [];
  const n = text.length;
  const d = delim.charCodeAt(0);
  const unquoted = UNQUOTED_Y[delim];
  let i = start;
  for (;;) {
    let field = '';
    if (text.charCodeAt(i) === 34) {
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) {
          field += text.slice(j);
          i = n;
          break;
        }
        if (text.charCodeAt(q + 1) === 34) {
          field += text.slice(j, q + 1);
          j = q + 2;
          continue;
        }
        field += text.slice(j, q);
        i = q + 1;
        break;
      }
    }
    // Unquoted text (or what follows a closing quote, kept as is).
    unquoted.lastIndex = i;
    if (unquoted.test(text)) {
      field += text.slice(i, unquoted.lastIndex);
      i = unquoted.lastIndex;
    }
    fields.push(field);
    const ch = text.charCodeAt(i);
    if (ch === d) {
      i++;
      continue;
    }
    if (ch === 13) i++;
    if (text.charCodeAt(i) === 10) i++;
    return { fields, next: i };
  }
}

/** `Alert ID`, `alertId`, `alert-id`, `data_object.id` → `alert_id`, …, `data_object_id`. */
export function normalizeName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export const SCAFFOLD_NAMES = new Set([
  'project',
  'project_id',
  'workspace',
  'workspace_id',
  'cross_workspace_id',
  'domain',
  'domain_id',
  'dataclass',
  'dataclass_id',
  'dataclass_ref',
  'dataclass_ref_id',
  'region',
  'region_id',
  'tenant_id',
  'enterprise_project_id',
]);
export const GENERIC_ID_NAMES = new Set([
  'id',
  'ids',
  'uuid',
  'uuids',
  'guid',
  'object_id',
  'object_ids',
  'data_object_id',
  'data_object_ids',
  'related_id',
  'related_ids',
]);
const CLASS_NAME_RE =
  /^(?:related_)?(alert|incident|indicator|ioc)s?(?:_(?:id|ids|uuid|uuids|list))?$/;
const CLASS_OF: Record<string, DataclassType> = {
  alert: 'alerts',
  incident: 'incidents',
  indicator: 'indicators',
  ioc: 'indicators',
};

export type NameKind = 'scaffold' | 'generic' | 'other' | DataclassType;

export function nameKind(name: string): NameKind {
  const n = normalizeName(name);
  if (SCAFFOLD_NAMES.has(n)) return 'scaffold';
  if (GENERIC_ID_NAMES.has(n)) return 'generic';
  const m = CLASS_NAME_RE.exec(n);
  const cls = m?.[1] ? CLASS_OF[m[1]] : undefined;
  return cls ?? 'other';
}
