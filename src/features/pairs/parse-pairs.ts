/**
 * The pairs parser: a pasted (or uploaded) CSV/TSV of "subject ID, related ID" rows into the pairs
 * of a batch of pairs. Pure, so it is tested apart from the page.
 *
 * - Records are read like the paste parser reads a table (`readRecord`: quoted fields, `""`
 *   escapes, CRLF or LF); the delimiter is the tab, comma or semicolon the first line holds most
 *   of, else white space. Blank lines are skipped.
 * - A header row is optional: the first line is a header when none of its cells is ID-shaped.
 *   Its names choose the columns (`nameKind`, as the paste parser reads headers): the subject is
 *   the column naming the subject class (`incident_id`, "Incident ID") or a subject (`subject`,
 *   `data_object_id`, `source`); the related ID is the column naming the related class
 *   (`alert_id`), else a generic ID column (`id`, `related_id`). Scaffolding columns
 *   (`workspace_id`, `project_id`…) are never read. Without a header, or when its names do not
 *   tell, the first two columns whose cells are mostly ID-shaped are the subject and the related
 *   ID, in that order.
 * - Each row gives one pair, checked with the API's ID rule (`isWellFormedId`, and
 *   `malformedUuidReason` for a UUID with a typo); a row that gives none is listed as invalid with
 *   its line and the reason's code (`PairProblem`, worded at display). UUIDs are lower-cased (`canonicalId`); a pair seen before (same subject
 *   and ID, UUIDs compared case-insensitively) is a duplicate: dropped and counted.
 */
import {
  canonicalId,
  idKey,
  isWellFormedId,
  malformedUuidReason,
  type DataclassType,
  type SubjectPair,
} from '../../api/schemas';
import { t } from '../../i18n/i18n';
import { nameKind, normalizeName, readRecord, type Delimiter } from '../../lib/table-text';

export interface PairsParseOptions {
  subjectClass: DataclassType;
  relatedClass: DataclassType;
}

/** Which ID of a pair a problem is about. */
export type PairSide = 'subject' | 'related';

/** Why a row gives no pair: a code and what the words need (worded by the pairs form). */
export type PairProblem =
  /** No two columns to read a pair from. */
  | { code: 'noColumns' }
  /** A row of another width than the header. */
  | { code: 'cellCount'; cells: number; expected: number }
  | { code: 'missingId'; side: PairSide }
  /** Not an ID by the API's rule (`value` cut to 80 characters). */
  | { code: 'malformedId'; side: PairSide; value: string }
  /** Well-formed but a malformed UUID; `uuid` is `malformedUuidReason`'s text (the API's words). */
  | { code: 'malformedUuid'; side: PairSide; value: string; uuid: string }
  | { code: 'sameObject' };

export interface InvalidPairLine {
  /** 1-based line of the text where the row starts. */
  line: number;
  /** The row as written (cut to 200 characters). */
  text: string;
  reason: PairProblem;
}

export interface PairsParseResult {
  /** Distinct well-formed pairs, canonical, in first-seen order. */
  pairs: SubjectPair[];
  /** Distinct subjects among `pairs`. */
  subjects: number;
  /** Rows that repeat an earlier pair. */
  duplicates: number;
  /** Rows that give no pair, with the reason. */
  invalid: InvalidPairLine[];
  /** The header row read (and skipped), or null. */
  header: string[] | null;
  /** The columns read (0-based), or null when nothing was read. */
  columns: { subject: number; related: number } | null;
}

const SUBJECT_NAMES = new Set([
  'subject',
  'subject_id',
  'subject_object_id',
  'data_object_id',
  'source',
  'source_id',
]);
const RELATED_NAMES = new Set(['related', 'related_id', 'id', 'object_id', 'uuid']);
const SHOWN_TEXT = 200;

export function emptyPairsParse(): PairsParseResult {
  return { pairs: [], subjects: 0, duplicates: 0, invalid: [], header: null, columns: null };
}

/** "N pairs · S subjects · D duplicates · X invalid", in the console's language. */
export function formatPairsSummary(r: PairsParseResult): string {
  return t('pairs.summary', {
    pairs: r.pairs.length,
    subjects: r.subjects,
    duplicates: r.duplicates,
    invalid: r.invalid.length,
  });
}

/** Why a cell is not an ID (with the side it is on), or null when it is one. */
function idProblem(value: string, side: PairSide): PairProblem | null {
  if (value === '') return { code: 'missingId', side };
  if (!isWellFormedId(value)) return { code: 'malformedId', side, value: short(value, 80) };
  const uuid = malformedUuidReason(value);
  return uuid ? { code: 'malformedUuid', side, value, uuid } : null;
}

function short(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The delimiter of the first line: the tab, comma or semicolon it holds most of, or null. */
function delimiterOf(line: string): Delimiter | null {
  let best: Delimiter | null = null;
  let most = 0;
  for (const d of ['\t', ',', ';'] as const) {
    const count = line.split(d).length - 1;
    if (count > most) {
      most = count;
      best = d;
    }
  }
  return best;
}

interface Row {
  line: number;
  fields: string[];
  raw: string;
}

/** Every non-blank record with the line it starts on. */
function readRows(text: string, delim: Delimiter | null): Row[] {
  const rows: Row[] = [];
  let pos = 0;
  let line = 1;
  const n = text.length;
  while (pos < n) {
    let fields: string[];
    let next: number;
    if (delim) {
      ({ fields, next } = readRecord(text, pos, delim));
    } else {
      const end = text.indexOf('\n', pos);
      next = end === -1 ? n : end + 1;
      fields = text
        .slice(pos, next)
        .trim()
        .split(/\s+/)
        .filter((f) => f !== '');
      if (fields.length === 0) fields = [''];
    }
    const raw = text.slice(pos, next).replace(/\r?\n$/, '');
    const cells = fields.map((f) => f.trim());
    if (!(cells.length === 1 && cells[0] === '')) rows.push({ line, fields: cells, raw });
    for (let i = text.indexOf('\n', pos); i !== -1 && i < next; i = text.indexOf('\n', i + 1))
      line++;
    if (next <= pos) break;
    pos = next;
  }
  return rows;
}

/** The subject and related columns a header names, or null when its names do not tell. */
function columnsByName(
  header: string[],
  opts: PairsParseOptions,
): { subject: number; related: number } | null {
  const kinds = header.map((h) => nameKind(h));
  const names = header.map((h) => normalizeName(h));
  const find = (ok: (i: number) => boolean, not = -1) =>
    header.findIndex((_, i) => i !== not && kinds[i] !== 'scaffold' && ok(i));
  let subject = find((i) => SUBJECT_NAMES.has(names[i] ?? ''));
  if (subject === -1) subject = find((i) => kinds[i] === opts.subjectClass);
  if (subject === -1) return null;
  let related = find((i) => kinds[i] === opts.relatedClass, subject);
  if (related === -1) related = find((i) => RELATED_NAMES.has(names[i] ?? ''), subject);
  if (related === -1) related = find((i) => kinds[i] === 'generic', subject);
  return related === -1 ? null : { subject, related };
}

/** The first two columns whose filled cells are mostly IDs (of the first 500 rows), or null. */
function columnsByContent(
  rows: Row[],
  header: string[] | null,
): { subject: number; related: number } | null {
  const width = Math.max(0, ...rows.slice(0, 500).map((r) => r.fields.length));
  const idColumns: number[] = [];
  for (let c = 0; c < width && idColumns.length < 2; c++) {
    if (header && nameKind(header[c] ?? '') === 'scaffold') continue;
    let filled = 0;
    let ids = 0;
    for (const r of rows.slice(0, 500)) {
      const cell = r.fields[c];
      if (!cell) continue;
      filled++;
      if (isWellFormedId(cell)) ids++;
    }
    if (filled > 0 && ids * 2 >= filled) idColumns.push(c);
  }
  const [subject, related] = idColumns;
  if (subject !== undefined && related !== undefined) return { subject, related };
  // Too few ID-shaped cells to tell: the first two columns, so each row says what is wrong.
  return width >= 2 ? { subject: 0, related: 1 } : null;
}

export function parsePairs(text: string, opts: PairsParseOptions): PairsParseResult {
  const result = emptyPairsParse();
  const firstLine = text.slice(text.search(/\S|$/)).split('\n', 1)[0] ?? '';
  const delim = delimiterOf(firstLine);
  const rows = readRows(text, delim);
  if (rows.length === 0) return result;

  const head = rows[0];
  const isHeader = head !== undefined && !head.fields.some((f) => isWellFormedId(f));
  const header = isHeader ? head.fields : null;
  const data = isHeader ? rows.slice(1) : rows;
  result.header = header;
  const columns = (header && columnsByName(header, opts)) ?? columnsByContent(data, header);
  result.columns = columns;

  const seen = new Set<string>();
  const subjects = new Set<string>();
  for (const row of data) {
    const rowText = short(row.raw.trim(), SHOWN_TEXT);
    const invalid = (reason: PairProblem) =>
      result.invalid.push({ line: row.line, text: rowText, reason });
    if (!columns) {
      invalid({ code: 'noColumns' });
      continue;
    }
    if (header && row.fields.length !== header.length) {
      invalid({ code: 'cellCount', cells: row.fields.length, expected: header.length });
      continue;
    }
    const subjectCell = row.fields[columns.subject] ?? '';
    const relatedCell = row.fields[columns.related] ?? '';
    const problem = idProblem(subjectCell, 'subject') ?? idProblem(relatedCell, 'related');
    if (problem) {
      invalid(problem);
      continue;
    }
    const subject = canonicalId(subjectCell);
    const id = canonicalId(relatedCell);
    if (idKey(subject) === idKey(id)) {
      invalid({ code: 'sameObject' });
      continue;
    }
    const key = `${subject}\n${id}`;
    if (seen.has(key)) {
      result.duplicates++;
      continue;
    }
    seen.add(key);
    subjects.add(subject);
    result.pairs.push({ data_object_id: subject, id });
  }
  result.subjects = subjects.size;
  return result;
}
