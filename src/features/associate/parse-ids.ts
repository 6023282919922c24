/**
 * The paste parser (DESIGN §4): finds candidate IDs in whatever an analyst pasted.
 * Pure and single-pass (regex scans, Set/Map look-ups), so it also runs in a Web Worker.
 */
import {
  ID_MAX_LENGTH,
  ID_MIN_LENGTH,
  MAX_TOKEN_LENGTH,
  idKey,
  isWellFormedId,
} from '../../api/schemas';

export interface ParseOptions {
  projectId?: string | undefined;
  workspaceId?: string | undefined;
  /** The chosen subject: linking an object to itself is never meant. */
  subjectId?: string | undefined;
}

export interface ParseIssue {
  token: string;
  reason: string;
}

export type ParseFormat = 'text' | 'json' | 'json-lines';

export interface ParseResult {
  /** Every candidate to send, in order: valid, duplicate and invalid ones (not ignored, not too long). */
  tokens: string[];
  /** Distinct well-formed IDs, first-seen order. */
  valid: string[];
  /** Copies dropped (the server counts them the same way: first copy wins). */
  duplicates: number;
  /** Distinct tokens that are not IDs, with the reason. */
  invalid: ParseIssue[];
  /** Distinct IDs that are never taken as related IDs, with the reason. */
  ignored: ParseIssue[];
  format: ParseFormat;
  /** Cells of a first line read as a header row and skipped, or null. */
  header: string[] | null;
}

export const TOO_LONG_REASON = 'too long';
export const URL_WITHOUT_ID_REASON = 'URL without an ID';

/**
 * One word of pasted text, or a quoted JSON/Python key followed by ":".
 * Separators: white space (incl. Unicode spaces), control characters, zero-width characters,
 * commas, semicolons, quotes (straight and typographic), brackets of all kinds, pipes and the
 * full-width punctuation that chat tools produce.
 */
const WORD_RE =
  // eslint-disable-next-line no-control-regex -- control characters are separators, never sent.
  /"(?:[^"\\\n]|\\.)*"[ \t]*:(?!\/)|'[^'\n]*'[ \t]*:(?!\/)|[^\s,;'"`()[\]{}<>|\x00-\x1f\x7f-\x9f\u200b-\u200d\u2060\u2018\u2019\u201c\u201d\u00ab\u00bb\u3001\u3002\uff0c\uff1a\uff1b\uff08\uff09\u300c\u300d]+/g;

/** A URL: scheme://, www., host.name/…, or an absolute path. */
const URL_RE = /^(?:[a-z][a-z0-9+.-]*:\/\/|www\.|[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?\/|\/)/i;
/** ASCII punctuation that may glue an ID to decoration: `id=…`, `…/…`, `….`, `#…`. */
const PUNCT_RE = /[=:/\\#?&@.!+*~$^%]/;
const PUNCT_SPLIT_RE = /[=:/\\#?&@.!+*~$^%]+/;
const NON_ID_CHARS_RE = /[^A-Za-z0-9_-]+/;
const ID_CHARSET_RE = /^[A-Za-z0-9_-]+$/;
const DIGIT_RE = /\d/;

/** Near-misses (a truncated UUID, an ID with one extra character) are never silently dropped. */
function looksLikeId(part: string): boolean {
  return part.length >= 20 && part.length <= 80 && DIGIT_RE.test(part) && ID_CHARSET_RE.test(part);
}

function invalidReason(token: string): string {
  if (token.length > MAX_TOKEN_LENGTH) return TOO_LONG_REASON;
  if (!ID_CHARSET_RE.test(token)) return 'not only letters, digits, "-" and "_"';
  if (token.length < ID_MIN_LENGTH) return `shorter than ${ID_MIN_LENGTH} characters`;
  return `longer than ${ID_MAX_LENGTH} characters`;
}

/**
 * `idKey` with a fast path for the hot loop (100,000 IDs): only 36-character values can be
 * UUIDs, and a lower-case UUID is its own key. Equal to `idKey` for every input (tested).
 */
export function fastIdKey(token: string): string {
  if (token.length !== 36) return token;
  let upper = false;
  for (let i = 0; i < 36; i++) {
    const ch = token.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (ch !== 45) return token;
    } else if (ch >= 65 && ch <= 70) {
      upper = true;
    } else if (!((ch >= 48 && ch <= 57) || (ch >= 97 && ch <= 102))) {
      return token;
    }
  }
  return upper ? token.toLowerCase() : token;
}

function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

interface Collector {
  /** A candidate token; `wellFormed` when the caller already knows. */
  add(token: string, wellFormed?: boolean, reason?: string): void;
  result(format: ParseFormat, header: string[] | null): ParseResult;
}

function createCollector(opts: ParseOptions): Collector {
  const ignore = new Map<string, string>();
  if (opts.subjectId) ignore.set(idKey(opts.subjectId), 'subject object');
  if (opts.workspaceId) ignore.set(idKey(opts.workspaceId), 'current workspace ID');
  if (opts.projectId) ignore.set(idKey(opts.projectId), 'project ID');

  const tokens: string[] = [];
  const valid: string[] = [];
  const invalid: ParseIssue[] = [];
  const ignored: ParseIssue[] = [];
  const seen = new Set<string>();
  const seenIgnored = new Set<string>();
  const seenTooLong = new Set<string>();
  let duplicates = 0;

  return {
    add(token, wellFormed, reason) {
      if (token.length > MAX_TOKEN_LENGTH) {
        if (!seenTooLong.has(token)) {
          seenTooLong.add(token);
          invalid.push({ token, reason: TOO_LONG_REASON });
        }
        return;
      }
      const key = fastIdKey(token);
      const ignoreReason = ignore.get(key);
      if (ignoreReason !== undefined) {
        if (!seenIgnored.has(key)) {
          seenIgnored.add(key);
          ignored.push({ token, reason: ignoreReason });
        }
        return;
      }
      tokens.push(token);
      if (seen.has(key)) {
        duplicates++;
        return;
      }
      seen.add(key);
      if (wellFormed ?? isWellFormedId(token)) valid.push(token);
      else invalid.push({ token, reason: reason ?? invalidReason(token) });
    },
    result(format, header) {
      return { tokens, valid, duplicates, invalid, ignored, format, header };
    },
  };
}

/** Adds the well-formed IDs among `parts`; near-miss parts are added as invalid. */
function addIdParts(parts: string[], c: Collector): boolean {
  let found = false;
  for (const part of parts) {
    if (isWellFormedId(part)) {
      c.add(part, true);
      found = true;
    }
  }
  if (found) {
    for (const part of parts) if (!isWellFormedId(part) && looksLikeId(part)) c.add(part, false);
  }
  return found;
}

/** One raw word of text. */
function handleWord(word: string, c: Collector): void {
  if (isWellFormedId(word)) {
    c.add(word, true);
    return;
  }
  const first = word.charCodeAt(0);
  // A quoted key followed by ":" (JSON that did not parse, Python reprs): scaffolding,
  // unless the key itself is an ID (maps keyed by ID).
  if ((first === 34 || first === 39) && word.length > 1) {
    const close = word.lastIndexOf(word[0] ?? '"');
    const key = word.slice(1, close);
    if (isWellFormedId(key)) c.add(key, true);
    return;
  }
  if (URL_RE.test(word)) {
    // Scheme, host, path words and query keys are scaffolding; IDs inside are candidates.
    if (!addIdParts(safeDecode(word).split(NON_ID_CHARS_RE), c)) {
      c.add(word, false, word.length > MAX_TOKEN_LENGTH ? TOO_LONG_REASON : URL_WITHOUT_ID_REASON);
    }
    return;
  }
  if (PUNCT_RE.test(word) && addIdParts(word.split(PUNCT_SPLIT_RE), c)) return;
  c.add(word, false);
}

function wordHasId(word: string): boolean {
  if (isWellFormedId(word)) return true;
  if (URL_RE.test(word)) return safeDecode(word).split(NON_ID_CHARS_RE).some(isWellFormedId);
  return PUNCT_RE.test(word) && word.split(PUNCT_SPLIT_RE).some(isWellFormedId);
}

// Module-level scanners: scanWords is never re-entered (handleWord does not scan).
const SCAN_RE = new RegExp(WORD_RE.source, 'g');

function scanWords(text: string, c: Collector, from = 0): void {
  const re = SCAN_RE;
  re.lastIndex = from;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) handleWord(m[0], c);
}

function wordsOf(text: string): string[] {
  return text.match(new RegExp(WORD_RE.source, 'g')) ?? [];
}

/**
 * A first line is a header row when none of its cells is (or resembles) an ID, each cell is
 * short, and a later line holds an ID. Its cells are scaffolding, reported in `header`.
 */
function detectHeader(text: string): { end: number; cells: string[] } | null {
  const re = new RegExp(WORD_RE.source, 'g');
  const firstWord = re.exec(text);
  if (!firstWord) return null;
  const nl = text.indexOf('\n', firstWord.index);
  if (nl === -1) return null;
  const line = text.slice(firstWord.index, nl);
  const cells = wordsOf(line);
  for (const cell of cells) {
    if (cell.length > ID_MAX_LENGTH || wordHasId(cell) || looksLikeId(cell)) return null;
    if (URL_RE.test(cell)) return null;
  }
  re.lastIndex = nl;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (wordHasId(m[0])) return { end: nl, cells: cells.map(stripKeyQuotes) };
  }
  return null;
}

function stripKeyQuotes(cell: string): string {
  return cell.replace(/^["']|["'][ \t]*:$/g, '');
}

function walkJson(root: unknown, c: Collector): void {
  // Iterative, so that deep nesting cannot overflow the stack.
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (isWellFormedId(v)) c.add(v, true);
      else scanWords(v, c);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const entry = entries[i];
        if (!entry) continue;
        stack.push(entry[1]);
        // Keys are scaffolding, except a key that is itself an ID (a map keyed by ID).
        if (isWellFormedId(entry[0])) stack.push(entry[0]);
      }
    }
    // Numbers, booleans and null are structure, not IDs.
  }
}

function tryJson(s: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(s) as unknown };
  } catch {
    return { ok: false };
  }
}

export function parseIds(text: string, opts: ParseOptions = {}): ParseResult {
  const c = createCollector(opts);
  const start = text.search(/\S/);
  if (start === -1) return c.result('text', null);

  const firstChar = text[start];
  if (firstChar === '[' || firstChar === '{') {
    const whole = tryJson(text);
    if (whole.ok) {
      walkJson(whole.value, c);
      return c.result('json', null);
    }
    // JSON lines (one object per line), or JSON mixed with text lines.
    const lines = text.split('\n');
    const parsed = lines.map((line) => {
      const t = line.trimStart();
      return t.startsWith('{') || t.startsWith('[') ? tryJson(line) : ({ ok: false } as const);
    });
    if (parsed.some((p) => p.ok)) {
      lines.forEach((line, i) => {
        const p = parsed[i];
        if (p?.ok) walkJson(p.value, c);
        else scanWords(line, c);
      });
      return c.result('json-lines', null);
    }
  }

  const header = detectHeader(text);
  scanWords(text, c, header ? header.end : 0);
  return c.result('text', header ? header.cells : null);
}

/** "N valid · D duplicates · X invalid" (plus "· I ignored" when any). */
export function formatSummary(
  r: Pick<ParseResult, 'valid' | 'duplicates' | 'invalid' | 'ignored'>,
): string {
  const parts = [
    `${r.valid.length} valid`,
    `${r.duplicates} duplicates`,
    `${r.invalid.length} invalid`,
  ];
  if (r.ignored.length > 0) parts.push(`${r.ignored.length} ignored`);
  return parts.join(' · ');
}

export function emptyParseResult(): ParseResult {
  return {
    tokens: [],
    valid: [],
    duplicates: 0,
    invalid: [],
    ignored: [],
    format: 'text',
    header: null,
  };
}
