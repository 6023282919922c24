/**
 * The paste parser (DESIGN §4): finds candidate IDs in whatever an analyst pasted.
 * Pure and single-pass (regex scans, Set/Map look-ups), so it also runs in a Web Worker.
 */
import {
  ID_MAX_LENGTH,
  ID_MIN_LENGTH,
  ID_PATTERN,
  MAX_TOKEN_LENGTH,
  idKey,
} from '../../api/schemas';

// Local copies for the hot loop (an imported binding may be a getter, as under tsx).
/** `isWellFormedId` as a regex (same pattern, no `g`: `test` keeps no state). */
const ID_RE = new RegExp(ID_PATTERN.source);
const MAX_TOKEN = MAX_TOKEN_LENGTH;
const isId = (s: string): boolean => ID_RE.test(s);

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
 * The separators between words: white space (incl. Unicode spaces), control characters,
 * zero-width characters, commas, semicolons, quotes (straight and typographic), brackets of all
 * kinds, pipes and the full-width punctuation that chat tools produce (a character-class body).
 * The straight quotes come first so that SEPARATORS_BUT_QUOTES can leave them out.
 */
const OTHER_SEPARATORS =
  '\\s,;`()[\\]{}<>|\\x00-\\x1f\\x7f-\\x9f\\u200b-\\u200d\\u2060\\u2018\\u2019\\u201c\\u201d\\u00ab\\u00bb\\u3001\\u3002\\uff0c\\uff1a\\uff1b\\uff08\\uff09\\u300c\\u300d';
const SEPARATORS = `'"${OTHER_SEPARATORS}`;
/** A quoted JSON/Python key followed by ":" (not "://"). */
const QUOTED_KEY = `"(?:[^"\\\\\\n]|\\\\.)*"[ \\t]*:(?!\\/)|'[^'\\n]*'[ \\t]*:(?!\\/)`;
/** One word of pasted text, or a quoted key followed by ":" (header detection). */
const WORD_SOURCE = `${QUOTED_KEY}|[^${SEPARATORS}]+`;

/*
 * The hot loop's sticky scanners: they give the same words as a global WORD_SOURCE scan, but
 * with `test` + `lastIndex` instead of `exec`, so no match array is allocated per word, and a
 * word that is a whole well-formed ID goes straight to the collector without a second look.
 * A word starts either at a straight quote (a quoted key, or nothing) or at a word character:
 * every other separator is skipped in one native scan.
 */
const SKIP_Y = new RegExp(`[${OTHER_SEPARATORS}]*`, 'y');
/** A whole-word ID: 32–64 ID characters followed by a separator or the end. */
const ID_WORD_Y = new RegExp(
  `[A-Za-z0-9_-]{${ID_MIN_LENGTH},${ID_MAX_LENGTH}}(?![^${SEPARATORS}])`,
  'y',
);
const WORD_Y = new RegExp(`[^${SEPARATORS}]+`, 'y');
const QUOTED_KEY_Y = new RegExp(QUOTED_KEY, 'y');

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

const UPPER_HEX_RE = /[A-F]/;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * `idKey` with a fast path for the hot loop (100,000 IDs): only 36-character values can be
 * UUIDs, and a UUID without an upper-case hex digit is its own key, so most tokens need one
 * native scan for [A-F] and no per-character JavaScript loop. Equal to `idKey` for every input
 * (tested).
 */
export function fastIdKey(token: string): string {
  if (token.length !== 36 || !UPPER_HEX_RE.test(token)) return token;
  return UUID_RE.test(token) ? token.toLowerCase() : token;
}

function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Collects candidates in order. `addId` is the hot path (a token already known to be a
 * well-formed ID, at most 64 characters); `add` handles everything else.
 */
class Collector {
  readonly tokens: string[] = [];
  readonly valid: string[] = [];
  readonly invalid: ParseIssue[] = [];
  readonly ignored: ParseIssue[] = [];
  duplicates = 0;
  /** De-duplication keys (`fastIdKey`) of every token sent so far. */
  private readonly seen = new Set<string>();
  private readonly ignore = new Map<string, string>();
  private readonly seenIgnored = new Set<string>();
  private readonly seenTooLong = new Set<string>();

  constructor(opts: ParseOptions) {
    if (opts.subjectId) this.ignore.set(idKey(opts.subjectId), 'subject object');
    if (opts.workspaceId) this.ignore.set(idKey(opts.workspaceId), 'current workspace ID');
    if (opts.projectId) this.ignore.set(idKey(opts.projectId), 'project ID');
  }

  /** A well-formed ID. */
  addId(token: string): void {
    // Only 36-character tokens can be UUIDs; every other ID is its own key.
    const key = token.length === 36 ? fastIdKey(token) : token;
    if (this.ignore.size > 0 && this.isIgnored(token, key)) return;
    this.tokens.push(token);
    // One hash look-up instead of has() + add(): the size grows only for a new key.
    const seen = this.seen;
    const before = seen.size;
    seen.add(key);
    if (seen.size === before) this.duplicates++;
    else this.valid.push(token);
  }

  /** Any other candidate; `reason` overrides the computed one for an invalid token. */
  add(token: string, reason?: string): void {
    if (token.length > MAX_TOKEN) {
      if (!this.seenTooLong.has(token)) {
        this.seenTooLong.add(token);
        this.invalid.push({ token, reason: TOO_LONG_REASON });
      }
      return;
    }
    if (ID_RE.test(token)) {
      this.addId(token);
      return;
    }
    // Not an ID, so not a UUID: the token is its own key.
    if (this.ignore.size > 0 && this.isIgnored(token, token)) return;
    this.tokens.push(token);
    const seen = this.seen;
    const before = seen.size;
    seen.add(token);
    if (seen.size === before) this.duplicates++;
    else this.invalid.push({ token, reason: reason ?? invalidReason(token) });
  }

  private isIgnored(token: string, key: string): boolean {
    const reason = this.ignore.get(key);
    if (reason === undefined) return false;
    if (!this.seenIgnored.has(key)) {
      this.seenIgnored.add(key);
      this.ignored.push({ token, reason });
    }
    return true;
  }

  result(format: ParseFormat, header: string[] | null): ParseResult {
    const { tokens, valid, duplicates, invalid, ignored } = this;
    return { tokens, valid, duplicates, invalid, ignored, format, header };
  }
}

/** Adds the well-formed IDs among `parts`; near-miss parts are added as invalid. */
function addIdParts(parts: string[], c: Collector): boolean {
  let found = false;
  for (const part of parts) {
    if (ID_RE.test(part)) {
      c.addId(part);
      found = true;
    }
  }
  if (found) {
    for (const part of parts) if (!ID_RE.test(part) && looksLikeId(part)) c.add(part);
  }
  return found;
}

/** One raw word of text. */
function handleWord(word: string, c: Collector): void {
  if (ID_RE.test(word)) {
    c.addId(word);
    return;
  }
  const first = word.charCodeAt(0);
  // A quoted key followed by ":" (JSON that did not parse, Python reprs): scaffolding,
  // unless the key itself is an ID (maps keyed by ID).
  if ((first === 34 || first === 39) && word.length > 1) {
    const close = word.lastIndexOf(word[0] ?? '"');
    const key = word.slice(1, close);
    if (ID_RE.test(key)) c.addId(key);
    return;
  }
  if (URL_RE.test(word)) {
    // Scheme, host, path words and query keys are scaffolding; IDs inside are candidates.
    if (!addIdParts(safeDecode(word).split(NON_ID_CHARS_RE), c)) {
      c.add(word, word.length > MAX_TOKEN ? TOO_LONG_REASON : URL_WITHOUT_ID_REASON);
    }
    return;
  }
  if (PUNCT_RE.test(word) && addIdParts(word.split(PUNCT_SPLIT_RE), c)) return;
  c.add(word);
}

function wordHasId(word: string): boolean {
  if (ID_RE.test(word)) return true;
  if (URL_RE.test(word)) return safeDecode(word).split(NON_ID_CHARS_RE).some(isId);
  return PUNCT_RE.test(word) && word.split(PUNCT_SPLIT_RE).some(isId);
}

/**
 * The hot loop: one pass over the text with the module-level sticky scanners (never re-entered:
 * handleWord does not scan).
 */
function scanWords(text: string, c: Collector, from = 0): void {
  const len = text.length;
  let pos = from;
  for (;;) {
    SKIP_Y.lastIndex = pos;
    SKIP_Y.test(text); // always matches, possibly nothing
    pos = SKIP_Y.lastIndex;
    if (pos >= len) return;
    const ch = text.charCodeAt(pos);
    if (ch === 34 || ch === 39) {
      // A straight quote: a quoted key followed by ":", or just a separator.
      QUOTED_KEY_Y.lastIndex = pos;
      if (QUOTED_KEY_Y.test(text)) {
        const end = QUOTED_KEY_Y.lastIndex;
        handleWord(text.slice(pos, end), c);
        pos = end;
      } else {
        pos++;
      }
      continue;
    }
    ID_WORD_Y.lastIndex = pos;
    if (ID_WORD_Y.test(text)) {
      const end = ID_WORD_Y.lastIndex;
      c.addId(text.slice(pos, end));
      pos = end;
      continue;
    }
    // Matches: the character at pos is neither a separator nor a quote.
    WORD_Y.lastIndex = pos;
    const end = WORD_Y.test(text) ? WORD_Y.lastIndex : pos + 1;
    handleWord(text.slice(pos, end), c);
    pos = end;
  }
}

function wordsOf(text: string): string[] {
  return text.match(new RegExp(WORD_SOURCE, 'g')) ?? [];
}

/**
 * A first line is a header row when none of its cells is (or resembles) an ID, each cell is
 * short, and a later line holds an ID. Its cells are scaffolding, reported in `header`.
 */
function detectHeader(text: string): { end: number; cells: string[] } | null {
  const re = new RegExp(WORD_SOURCE, 'g');
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
      if (ID_RE.test(v)) c.addId(v);
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
        if (ID_RE.test(entry[0])) stack.push(entry[0]);
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
  const c = new Collector(opts);
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
