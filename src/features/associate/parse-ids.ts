/**
 * The paste parser: finds the IDs in whatever an analyst pasted, and only the IDs.
 * Pure and single-pass over plain text (regex scans, Set/Map look-ups), so it also runs in a Web
 * Worker.
 *
 * ## Text and IDs
 *
 * The text is cut into words at separators (white space, control and zero-width characters,
 * `,;` quotes, brackets, `|`, CJK and full-width characters and punctuation, emoji and other
 * symbols), and each word into runs at the decoration that glues IDs to labels
 * (`= : / \ # ? & @ . ! + * ~ $ ^ %`, as in `alert_id=…`, `…/alerts/…`, `#…`, `….`). A run of
 * letters, digits, `-` and `_` is judged by `runVerdict`:
 *
 * - **an ID** (valid) when it is a UUID (8-4-4-4-12 hex digits, any case), or 32–64 characters
 *   long with at least one letter and one digit and not a malformed UUID (below);
 * - **malformed** (listed as invalid, with the reason) when it holds a letter and a digit and
 *   - it is UUID-like but not a UUID: 3 to 5 groups of hex digits joined by single `-`, at least
 *     16 characters, two of the groups at least 4 long (a truncated or extended UUID, e.g.
 *     8-4-4-4-9 or 8-4-4-4-6), or groups of 8-4-4-4-n letters and digits with a letter past `f`
 *     (a typo), or
 *   - it is 24–31 or more than 64 characters long and holds 16 letters or digits in a row (a
 *     truncated ID, two IDs glued together);
 * - **text** otherwise (skipped, never sent): words, numbers (no letter), host names (`dev-ws-16`),
 *   dates and times (`2026-11-03T10:15:00Z`), IPv4/IPv6 addresses and e-mail addresses (their
 *   runs are short), snake_case names (no 16 alphanumerics in a row), emoji and symbols
 *   (separators).
 *
 * A run that also holds other characters (`é`, Cyrillic or Greek look-alikes: anything that is
 * neither ASCII nor a separator) is malformed ("not only letters, digits…") when its ID
 * characters alone would be an ID or malformed, and text otherwise (`naïve`).
 *
 * Invalid tokens are sent with the batch (the server records them as invalid) when the API's own
 * rule also refuses them; a malformed UUID the API would accept (32–64 characters) is listed but
 * not sent, so that SecMaster never receives it; tokens over 1024 characters are never sent.
 *
 * ## Shapes
 *
 * - JSON (a whole document, or one per line): each object's own ID (`id`, else `data_object.id`),
 *   values of ID keys (`ids`, `uuid`, `object_id`…) and of keys naming the related class
 *   (`alert_id`, `alert_ids`, `alerts`…); keys naming another class are skipped; scaffolding
 *   (`project_id`, `workspace_id`, `domain_id`, `dataclass_ref`, `dataclass_id`, `region`…) is
 *   listed as ignored with its key; every other value is skipped. Objects inside an object that
 *   has its own ID give IDs only under class keys (so `resource_list[].id` is not taken).
 * - CSV/TSV (`detectTable`): a header row naming an ID (an ID column or scaffolding) and a
 *   consistent delimiter; only the ID column is read. A row with another number of cells than
 *   the header is never read (its cells cannot be told apart): when it holds anything ID-shaped
 *   it is listed as ignored ("line N", "5 cells, the header has 4; not read").
 * - A single ID-named first line (`alert_id`) is a header and skipped.
 * - Anything else is text; console URLs give the IDs among their path segments and query values.
 *
 * The configured project ID, the current workspace ID and the subject's own ID are ignored with
 * their reason. Valid IDs come out in canonical form (`canonicalId`: UUIDs in lower case).
 */
import {
  ID_MAX_LENGTH,
  ID_MIN_LENGTH,
  ID_PATTERN,
  MAX_TOKEN_LENGTH,
  canonicalId,
  type DataclassType,
} from '../../api/schemas';
import {
  SCAFFOLD_NAMES,
  nameKind,
  normalizeName,
  readRecord,
  type Delimiter,
} from '../../lib/table-text';

export { nameKind, normalizeName };

// Local copies for the hot loop (an imported binding may be a getter, as under tsx).
const MAX_TOKEN = MAX_TOKEN_LENGTH;
/** The API's rule (32–64 letters, digits, `-`, `_`): what the server takes as well-formed. */
const API_ID_RE = new RegExp(ID_PATTERN.source);

export interface ParseOptions {
  projectId?: string | undefined;
  workspaceId?: string | undefined;
  /** The chosen subject: linking an object to itself is never meant. */
  subjectId?: string | undefined;
  /** The related class chosen in the form: the default ID column, and the JSON keys taken. */
  relatedClass?: DataclassType | undefined;
  /**
   * The ID column the analyst picked (its `IdColumn.name`), read when the pasted table has it; a
   * plain header that several columns share selects the first of them.
   */
  idColumn?: string | undefined;
}

/**
 * Why a token is invalid or ignored, as a code with its parameters (the form words it in the
 * analyst's language; the parse runs in a worker and knows no language).
 */
export type IssueReason =
  | { code: 'notHexDigit'; char: string }
  | { code: 'uuidGroups'; groups: string }
  | { code: 'shorterThan'; min: number }
  | { code: 'longerThan'; max: number }
  | { code: 'tooLong' }
  | { code: 'forbiddenCharacter' }
  | { code: 'subjectObject' }
  | { code: 'currentWorkspace' }
  | { code: 'projectId' }
  | { code: 'notRelated'; path: string }
  | { code: 'unreadRow'; cells: number; headerCells: number };

export interface ParseIssue {
  /** The token as pasted; for a table row not read, `line N`. */
  token: string;
  reason: IssueReason;
  /** A table row not read: its line (the token is then no pasted text). */
  line?: number;
}

export type ParseFormat = 'text' | 'json' | 'json-lines' | 'csv' | 'tsv';

/** A column of a pasted table that holds IDs. */
export interface IdColumn {
  index: number;
  /** Its header; `column N` when empty; `id (column N)` when other columns have that header too. */
  name: string;
  /** The class its header names (`alert_id` → alerts), or null. */
  dataclass: DataclassType | null;
}

/** A pasted CSV/TSV export, read by columns. */
export interface TableInfo {
  delimiter: Delimiter;
  header: string[];
  /** Columns holding IDs, in order (at least one). */
  idColumns: IdColumn[];
  /** Index of the column read. */
  column: number;
  /** Data rows (the header not counted). */
  rows: number;
}

export interface ParseResult {
  /** Every candidate to send, in order: valid, duplicate and invalid ones (not ignored, not too long). */
  tokens: string[];
  /** Distinct well-formed IDs in canonical form, first-seen order. */
  valid: string[];
  /** Copies dropped (the server counts them the same way: first copy wins). */
  duplicates: number;
  /** Distinct tokens that look like IDs but are malformed, with the reason. */
  invalid: ParseIssue[];
  /**
   * Distinct IDs that are never taken as related IDs, with the reason; and rows of a table that
   * were not read (`line N`, with the reason).
   */
  ignored: ParseIssue[];
  format: ParseFormat;
  /** Cells of a first line read as a header row and skipped, or null. */
  header: string[] | null;
  /** The table read by columns, or null. */
  table: TableInfo | null;
  /** Words of text skipped (not shaped like an ID). */
  skippedWords: number;
  /** JSON string values skipped (not an object's ID). */
  skippedValues: number;
}

export const TOO_LONG_REASON: IssueReason = { code: 'tooLong' };
export const FORBIDDEN_CHARACTER_REASON: IssueReason = { code: 'forbiddenCharacter' };

/**
 * The separators between words: white space (incl. Unicode spaces), control characters,
 * zero-width characters, commas, semicolons, quotes (straight and typographic), brackets of all
 * kinds, pipes, bullets and other general punctuation but dashes (U+2020–U+2064; a typographic
 * dash inside an ID makes it invalid, not two words), arrows and other symbols (U+2190–U+2BFF), CJK punctuation, kana, ideographs and
 * Hangul, variation selectors, full-width forms, and every character outside the BMP (emoji)
 * (a character-class body). The straight quotes come first so that OTHER_SEPARATORS can leave
 * them out.
 */
const OTHER_SEPARATORS =
  '\\s,;`()[\\]{}<>|\\x00-\\x1f\\x7f-\\x9f\\u00ab\\u00bb\\u200b-\\u200d\\u2018\\u2019\\u201c\\u201d\\u2020-\\u2064\\u2190-\\u2bff\\u3000-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uac00-\\ud7af\\ud800-\\udfff\\ufe00-\\ufe0f\\uff00-\\uffef';
const SEPARATORS = `'"${OTHER_SEPARATORS}`;
/** A quoted JSON/Python key followed by ":" (not "://"). */
const QUOTED_KEY = `"(?:[^"\\\\\\n]|\\\\.)*"[ \\t]*:(?!\\/)|'[^'\\n]*'[ \\t]*:(?!\\/)`;

/*
 * The hot loop's sticky scanners, with `test` + `lastIndex` instead of `exec`, so no match array
 * is allocated per word, and a word that is a whole lower-case UUID (already canonical) goes
 * straight to the collector after one anchored test.
 * A word starts either at a straight quote (a quoted key, or nothing) or at a word character:
 * every other separator is skipped in one native scan.
 */
// eslint-disable-next-line no-misleading-character-class -- code-unit ranges on purpose: surrogates (emoji) and variation selectors are separators
const SKIP_Y = new RegExp(`[${OTHER_SEPARATORS}]*`, 'y');
/** A whole word of 32–64 ID characters. */
const ID_WORD_Y = new RegExp(
  `[A-Za-z0-9_-]{${ID_MIN_LENGTH},${ID_MAX_LENGTH}}(?![^${SEPARATORS}])`,
  'y',
);
// eslint-disable-next-line no-misleading-character-class -- code-unit ranges on purpose: surrogates (emoji) and variation selectors are separators
const WORD_Y = new RegExp(`[^${SEPARATORS}]+`, 'y');
const QUOTED_KEY_Y = new RegExp(QUOTED_KEY, 'y');

/** A URL: scheme://, www., host.name/…, or an absolute path. */
const URL_RE = /^(?:[a-z][a-z0-9+.-]*:\/\/|www\.|[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?\/|\/)/i;
/** ASCII punctuation that may glue an ID to decoration: `id=…`, `…/…`, `….`, `#…`. */
const PUNCT_RE = /[=:/\\#?&@.!+*~$^%]/;
const PUNCT_SPLIT_RE = /[=:/\\#?&@.!+*~$^%]+/;
const NON_ID_CHARS_RE = /[^A-Za-z0-9_-]+/;
const NON_ID_CHARS_G = /[^A-Za-z0-9_-]+/g;
const ID_CHARSET_RE = /^[A-Za-z0-9_-]+$/;
const DIGIT_RE = /\d/;
const LETTER_RE = /[A-Za-z]/;
const ALNUM_16_RE = /[A-Za-z0-9]{16}/;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Within ID characters: any but lower-case hex digits and "-" (one native scan). */
const NOT_LOWER_HEX_RE = /[g-zA-Z_]/;

/**
 * A run of ID characters that is a lower-case UUID, already canonical: five indexOf calls and
 * one scan (the hot loop: an anchored UUID regex costs twice as much per word).
 */
export function isLowerUuid(run: string): boolean {
  return (
    run.length === 36 &&
    run.indexOf('-') === 8 &&
    run.indexOf('-', 9) === 13 &&
    run.indexOf('-', 14) === 18 &&
    run.indexOf('-', 19) === 23 &&
    run.indexOf('-', 24) === -1 &&
    !NOT_LOWER_HEX_RE.test(run)
  );
}
const HEX_GROUPS_RE = /^[0-9a-fA-F]+(?:-[0-9a-fA-F]+){2,4}$/;
const UPPER_HEX_RE = /[A-F]/;
/** 8-4-4-4-n letters and digits: a UUID with a typo (`g`…`z`) when not all hex. */
const UUID_SHAPE_RE = /^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{1,16}$/i;
const NON_HEX_RE = /[g-z]/i;

/** The shortest run that can be ID-shaped (a UUID-like run of 3 groups). */
const MIN_SHAPED = 16;
/** The shortest non-UUID run that can be ID-shaped. */
const MIN_LONG_SHAPED = 24;

/** `runVerdict`: an ID. */
export const ID = 1;
/** `runVerdict`: text. */
export const TEXT = 0;
/** An ID, text, or the reason a malformed ID-shaped run is invalid. */
export type Verdict = typeof ID | typeof TEXT | IssueReason;

/**
 * The rule for a run of letters, digits, `-` and `_` (see the module comment): ID, TEXT, or
 * the reason it is a malformed ID.
 */
export function runVerdict(s: string): Verdict {
  const len = s.length;
  if (len === 36 && UUID_RE.test(s)) return ID;
  if (len < MIN_SHAPED || !DIGIT_RE.test(s) || !LETTER_RE.test(s)) return TEXT;
  if (len <= 48 && UUID_SHAPE_RE.test(s)) {
    const bad = NON_HEX_RE.exec(s)?.[0];
    if (bad !== undefined) return { code: 'notHexDigit', char: bad };
  }
  if (HEX_GROUPS_RE.test(s)) {
    const groups = s.split('-');
    let long = 0;
    for (const g of groups) if (g.length >= 4) long++;
    if (long >= 2) return { code: 'uuidGroups', groups: groups.map((g) => g.length).join('-') };
  }
  if (len < MIN_LONG_SHAPED) return TEXT;
  if (len <= ID_MAX_LENGTH && len >= ID_MIN_LENGTH) return ID;
  if (!ALNUM_16_RE.test(s)) return TEXT;
  if (len < ID_MIN_LENGTH) return { code: 'shorterThan', min: ID_MIN_LENGTH };
  return len > MAX_TOKEN ? TOO_LONG_REASON : { code: 'longerThan', max: ID_MAX_LENGTH };
}

/**
 * `canonicalId` (and `idKey`) with a fast path for the hot loop (100,000 IDs): only
 * 36-character values can be UUIDs, and a UUID without an upper-case hex digit is its own
 * canonical form, so most tokens need one native scan for [A-F]. Equal to `canonicalId` and
 * `idKey` for every input (tested).
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
 * Collects candidates in order. `addId` is the hot path (a token already known to be an ID);
 * `addRun` judges a run; `addInvalid` takes a malformed one.
 */
class Collector {
  readonly tokens: string[] = [];
  readonly valid: string[] = [];
  readonly invalid: ParseIssue[] = [];
  readonly ignored: ParseIssue[] = [];
  duplicates = 0;
  skippedWords = 0;
  skippedValues = 0;
  /** While set, the IDs found are scaffolding: listed as ignored with this reason, never sent. */
  scaffold: IssueReason | null = null;
  /** Canonical forms of every token sent so far. */
  private readonly seen = new Set<string>();
  private readonly ignore = new Map<string, IssueReason>();
  private readonly seenIgnored = new Set<string>();
  private readonly seenUnsent = new Set<string>();

  constructor(opts: ParseOptions) {
    if (opts.subjectId) this.ignore.set(canonicalId(opts.subjectId), { code: 'subjectObject' });
    if (opts.workspaceId)
      this.ignore.set(canonicalId(opts.workspaceId), { code: 'currentWorkspace' });
    if (opts.projectId) this.ignore.set(canonicalId(opts.projectId), { code: 'projectId' });
  }

  /** An ID (`runVerdict` said so), as pasted. */
  addId(token: string): void {
    // Only 36-character tokens can be UUIDs; every other ID is its own canonical form.
    this.addCanonical(token.length === 36 ? fastIdKey(token) : token, token);
  }

  /** An ID in canonical form (`id`), pasted as `token`. */
  addCanonical(id: string, token = id): void {
    if (this.scaffold !== null) {
      this.addIgnored(token, id, this.scaffold);
      return;
    }
    if (this.ignore.size > 0) {
      const reason = this.ignore.get(id);
      if (reason !== undefined) {
        this.addIgnored(token, id, reason);
        return;
      }
    }
    this.tokens.push(id);
    // One hash look-up instead of has() + add(): the size grows only for a new key.
    const seen = this.seen;
    const before = seen.size;
    seen.add(id);
    if (seen.size === before) this.duplicates++;
    else this.valid.push(id);
  }

  /** A malformed ID-shaped token, with the reason. */
  addInvalid(token: string, reason: IssueReason): void {
    if (this.scaffold !== null) return;
    // Sent only when the server refuses it too (it records it as invalid); never over 1024.
    if (token.length > MAX_TOKEN || API_ID_RE.test(token)) {
      if (!this.seenUnsent.has(token)) {
        this.seenUnsent.add(token);
        this.invalid.push({ token, reason });
      }
      return;
    }
    this.tokens.push(token);
    const seen = this.seen;
    const before = seen.size;
    seen.add(token);
    if (seen.size === before) this.duplicates++;
    else this.invalid.push({ token, reason });
  }

  /** A run of ID characters: an ID, malformed, or text. True unless text. */
  addRun(run: string): boolean {
    const v = runVerdict(run);
    if (v === ID) this.addId(run);
    else if (v === TEXT) return false;
    else this.addInvalid(run, v);
    return true;
  }

  /** A row of a table that is not read (it holds something ID-shaped), listed as ignored. */
  addUnreadRow(line: number, cells: number, headerCells: number): void {
    this.ignored.push({
      token: `line ${line}`,
      line,
      reason: { code: 'unreadRow', cells, headerCells },
    });
  }

  /** An ID that is scaffolding: ignored with its reason (the configured IDs keep theirs). */
  private addIgnored(token: string, id: string, reason: IssueReason): void {
    if (this.seenIgnored.has(id)) return;
    this.seenIgnored.add(id);
    this.ignored.push({ token, reason: this.ignore.get(id) ?? reason });
  }

  result(format: ParseFormat, header: string[] | null, table: TableInfo | null): ParseResult {
    const { tokens, valid, duplicates, invalid, ignored, skippedWords, skippedValues } = this;
    return {
      tokens,
      valid,
      duplicates,
      invalid,
      ignored,
      format,
      header,
      table,
      skippedWords,
      skippedValues,
    };
  }
}

/** One word of text (no separator inside) that is not a whole quoted key. */
function handleWord(word: string, c: Collector): void {
  if (ID_CHARSET_RE.test(word)) {
    if (!c.addRun(word)) c.skippedWords++;
    return;
  }
  let found = false;
  if (URL_RE.test(word)) {
    // Scheme, host, path words and query keys are scaffolding; IDs inside are candidates.
    for (const part of safeDecode(word).split(NON_ID_CHARS_RE)) {
      if (part.length >= MIN_SHAPED && c.addRun(part)) found = true;
    }
  } else {
    const parts = PUNCT_RE.test(word) ? word.split(PUNCT_SPLIT_RE) : [word];
    for (const part of parts) {
      if (part.length < MIN_SHAPED) continue;
      if (ID_CHARSET_RE.test(part)) {
        if (c.addRun(part)) found = true;
        continue;
      }
      // Characters an ID cannot hold (é, look-alike letters) inside an ID-shaped run.
      const bare = part.replace(NON_ID_CHARS_G, '');
      if (bare.length >= MIN_SHAPED && runVerdict(bare) !== TEXT) {
        c.addInvalid(part, part.length > MAX_TOKEN ? TOO_LONG_REASON : FORBIDDEN_CHARACTER_REASON);
        found = true;
      }
    }
  }
  if (!found) c.skippedWords++;
}

/**
 * The hot loop: one pass over `text` (from `from`) with the module-level sticky scanners (never
 * re-entered: handleWord does not scan). After a quoted scaffolding key (`"domain_id":`), the
 * next word is scaffolding too.
 */
function scanWords(text: string, c: Collector, from = 0): void {
  const len = text.length;
  let pos = from;
  let keyReason: IssueReason | null = null;
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
        const quoted = text.slice(pos, end);
        const key = quoted.slice(1, quoted.lastIndexOf(quoted[0] ?? '"'));
        // A key that is itself an ID (maps keyed by ID) is a candidate; other keys are structure.
        if (runVerdict(key) === ID) c.addId(key);
        keyReason = scaffoldReason(key);
        pos = end;
      } else {
        pos++;
      }
      continue;
    }
    if (keyReason !== null) {
      WORD_Y.lastIndex = pos;
      const end = WORD_Y.test(text) ? WORD_Y.lastIndex : pos + 1;
      const before = c.scaffold;
      c.scaffold = keyReason;
      handleWord(text.slice(pos, end), c);
      c.scaffold = before;
      keyReason = null;
      pos = end;
      continue;
    }
    ID_WORD_Y.lastIndex = pos;
    if (ID_WORD_Y.test(text)) {
      const end = ID_WORD_Y.lastIndex;
      const run = text.slice(pos, end);
      if (isLowerUuid(run)) c.addCanonical(run);
      else if (!c.addRun(run)) c.skippedWords++;
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

// ---------------------------------------------------------------------------------------------
// Names: JSON keys and table headers
// ---------------------------------------------------------------------------------------------

const NOT_NORMAL_RE = /[^a-z0-9_]/;

function scaffoldReason(key: string): IssueReason | null {
  const scaffold =
    SCAFFOLD_NAMES.has(key) || (NOT_NORMAL_RE.test(key) && SCAFFOLD_NAMES.has(normalizeName(key)));
  return scaffold ? { code: 'notRelated', path: key } : null;
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/** String values are candidates. */
const LIST = 0;
/** String values are skipped; objects give their own ID. */
const OTHER = 1;
/** Inside an object that has its own ID: strings skipped, nested objects' `id`s too. */
const INSIDE = 2;
type Mode = typeof LIST | typeof OTHER | typeof INSIDE;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Lists the ID-shaped strings under a scaffolding key as ignored, with their path. */
function scaffoldValues(path: string, v: unknown, c: Collector): void {
  if (typeof v === 'string') {
    const words = c.skippedWords;
    c.scaffold = { code: 'notRelated', path };
    scanWords(v, c);
    c.scaffold = null;
    c.skippedWords = words;
  } else if (Array.isArray(v)) {
    for (const x of v) scaffoldValues(path, x, c);
  } else if (isRecord(v)) {
    for (const [k, x] of Object.entries(v)) scaffoldValues(`${path}.${k}`, x, c);
  }
}

function walkJson(root: unknown, c: Collector, relatedClass: DataclassType | undefined): void {
  // Iterative, so that deep nesting cannot overflow the stack.
  const values: unknown[] = [root];
  const modes: Mode[] = [LIST];
  while (values.length > 0) {
    const v = values.pop();
    const mode = modes.pop() ?? LIST;
    if (typeof v === 'string') {
      if (mode === LIST) scanWords(v, c);
      else c.skippedValues++;
      continue;
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        values.push(v[i]);
        modes.push(mode);
      }
      continue;
    }
    if (!isRecord(v)) continue; // numbers, booleans and null are structure
    // The object's own ID: `id`, else `data_object.id` (SecMaster's answer has both, equal).
    let own: unknown;
    if (mode !== INSIDE) {
      own = v.id;
      if (typeof own !== 'string' && isRecord(v.data_object)) own = v.data_object.id;
      if (typeof own === 'string') scanWords(own, c);
      else own = undefined;
    }
    const childMode: Mode = mode === INSIDE || own !== undefined ? INSIDE : OTHER;
    const entries = Object.entries(v);
    const kinds = entries.map(([key]) => nameKind(key));
    // Scaffolding first, in key order (the rest is pushed in reverse to be walked in order).
    entries.forEach(([key, value], i) => {
      if (kinds[i] === 'scaffold' && runVerdict(key) !== ID) scaffoldValues(key, value, c);
    });
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      const kind = kinds[i];
      if (!entry || kind === undefined) continue;
      const [key, value] = entry;
      // A key that is itself an ID (a map keyed by ID) is a candidate.
      if (runVerdict(key) === ID) {
        values.push(value, key);
        modes.push(childMode, LIST);
        continue;
      }
      if (key === 'id') {
        if (typeof value === 'string' && own === undefined) c.skippedValues++;
        continue;
      }
      if (kind === 'scaffold') continue;
      let next: Mode = childMode;
      if (kind === 'generic') next = LIST;
      else if (kind !== 'other')
        next = relatedClass === undefined || kind === relatedClass ? LIST : INSIDE;
      // `data_object`'s own `id` is its parent's, taken above.
      if (normalizeName(key) === 'data_object') next = INSIDE;
      values.push(value);
      modes.push(next);
    }
  }
}

function tryJson(s: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(s) as unknown };
  } catch {
    return { ok: false };
  }
}

// ---------------------------------------------------------------------------------------------
// Tables (CSV, TSV)
// ---------------------------------------------------------------------------------------------

/** Whether a cell holds anything ID-shaped (an ID or a malformed one). */
function cellHasIdShape(cell: string): boolean {
  for (const run of cell.split(NON_ID_CHARS_RE)) {
    if (run.length >= MIN_SHAPED && runVerdict(run) !== TEXT) return true;
  }
  return false;
}

/** Rows sampled to find the ID columns by content. */
const CONTENT_SAMPLE = 500;

/**
 * A CSV/TSV export: the first non-blank line is a header row (2+ cells, split at the tab, comma or
 * semicolon it holds most of; no cell ID-shaped or over 64 characters; at least one cell naming an
 * ID: an ID column such as `id`, `uuid`, `alert_id`, `Alert ID`, `incident-id`, `indicatorId`, or
 * scaffolding such as `domain_id`), and at least 90 % of the non-blank rows after it have as many
 * cells. A first line naming no ID (`Hi team, please link these`) is prose: not a table. Its ID
 * columns are, leaving out scaffolding names (project_id, workspace_id, domain_id…): columns whose
 * header names an ID and holds at least one ID-shaped cell, and columns where most non-empty
 * cells (of the first 500 rows) are ID-shaped. The column read is the one picked (`idColumn`: an
 * `IdColumn.name`, else the first column with that header), else the one naming the related
 * class, else one named generically (`id`), else the first. No ID column: not a table. `unread`
 * gives the rows of another shape that hold something ID-shaped (their index in `records` and
 * the line they start on), never read.
 */
function detectTable(
  text: string,
  start: number,
  opts: ParseOptions,
): { table: TableInfo; records: string[][]; unread: Map<number, number> } | null {
  const lineEnd = text.indexOf('\n', start);
  if (lineEnd === -1) return null;
  const line = text.slice(start, lineEnd);
  let delim: Delimiter | null = null;
  let most = 0;
  for (const d of ['\t', ',', ';'] as const) {
    const count = line.split(d).length - 1;
    if (count > most) {
      most = count;
      delim = d;
    }
  }
  if (delim === null) return null;
  const first = readRecord(text, start, delim);
  const header = first.fields.map((h) => h.trim());
  if (header.length < 2) return null;
  let namesId = false;
  for (const h of header) {
    if (h.length > ID_MAX_LENGTH || cellHasIdShape(h)) return null;
    if (nameKind(h) !== 'other') namesId = true;
  }
  if (!namesId) return null;

  const records: string[][] = [];
  const unread = new Map<number, number>();
  let consistent = 0;
  let pos = first.next;
  const n = text.length;
  // Line numbers, counted only up to the rows of another shape that hold something ID-shaped.
  let lineNo = 1;
  let counted = 0;
  while (pos < n) {
    const r = readRecord(text, pos, delim);
    if (r.fields.length === 1 && r.fields[0]?.trim() === '') {
      pos = r.next;
      continue; // a blank line
    }
    if (r.fields.length === header.length) consistent++;
    else if (r.fields.some(cellHasIdShape)) {
      for (let i = text.indexOf('\n', counted); i !== -1 && i < pos; i = text.indexOf('\n', i + 1))
        lineNo++;
      counted = pos;
      unread.set(records.length, lineNo);
    }
    records.push(r.fields);
    pos = r.next;
    // A text that is not a table is usually told apart within its first rows.
    if (records.length === 20 && consistent < 18) return null;
  }
  if (records.length === 0 || consistent < records.length * 0.9) return null;

  const idColumns: IdColumn[] = [];
  const sample = Math.min(records.length, CONTENT_SAMPLE);
  const shared = new Set(header.filter((h, i) => h !== '' && header.indexOf(h) !== i));
  header.forEach((name, index) => {
    const kind = nameKind(name);
    if (kind === 'scaffold') return;
    let shaped = 0;
    let filled = 0;
    for (let r = 0; r < sample; r++) {
      const cell = records[r]?.[index];
      if (cell === undefined || cell.trim() === '') continue;
      filled++;
      if (cellHasIdShape(cell)) shaped++;
    }
    const named = kind !== 'other';
    if ((named && shaped > 0) || (filled > 0 && shaped * 2 > filled)) {
      idColumns.push({
        index,
        name:
          name === ''
            ? `column ${index + 1}`
            : shared.has(name)
              ? `${name} (column ${index + 1})`
              : name,
        dataclass: kind === 'generic' || kind === 'other' ? null : kind,
      });
    }
  });
  const picked = opts.idColumn;
  const chosen =
    (picked === undefined
      ? undefined
      : (idColumns.find((col) => col.name === picked) ??
        idColumns.find((col) => header[col.index] === picked))) ??
    idColumns.find(
      (col) => opts.relatedClass !== undefined && col.dataclass === opts.relatedClass,
    ) ??
    idColumns.find((col) => nameKind(header[col.index] ?? '') === 'generic') ??
    idColumns[0];
  if (!chosen) return null;
  return {
    table: { delimiter: delim, header, idColumns, column: chosen.index, rows: records.length },
    records,
    unread,
  };
}

/** A first line that is one ID-named cell (`alert_id`, `"ID"`): a header to skip, or null. */
function singleColumnHeader(text: string, start: number): { end: number; name: string } | null {
  const end = text.indexOf('\n', start);
  if (end === -1) return null;
  const name = text
    .slice(start, end)
    .trim()
    .replace(/^["']|["']$/g, '');
  if (name === '' || name.length > ID_MAX_LENGTH || nameKind(name) === 'other') return null;
  if (nameKind(name) === 'scaffold' || cellHasIdShape(name)) return null;
  return { end, name };
}

// ---------------------------------------------------------------------------------------------

export function parseIds(text: string, opts: ParseOptions = {}): ParseResult {
  const c = new Collector(opts);
  const start = text.search(/\S/);
  if (start === -1) return c.result('text', null, null);

  const firstChar = text[start];
  if (firstChar === '[' || firstChar === '{') {
    const whole = tryJson(text);
    if (whole.ok) {
      walkJson(whole.value, c, opts.relatedClass);
      return c.result('json', null, null);
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
        if (p?.ok) walkJson(p.value, c, opts.relatedClass);
        else scanWords(line, c);
      });
      return c.result('json-lines', null, null);
    }
  }

  const found = detectTable(text, start, opts);
  if (found) {
    const { table, records, unread } = found;
    const column = table.column;
    const cells = table.header.length;
    records.forEach((record, i) => {
      // A row of another shape (an unquoted comma in a title, a footer): which cell belongs to
      // which column is unknown, so none is read; listed when it holds anything ID-shaped.
      if (record.length !== cells) {
        const line = unread.get(i);
        if (line !== undefined) c.addUnreadRow(line, record.length, cells);
        return;
      }
      const cell = record[column];
      if (cell) scanWords(cell, c);
    });
    return c.result(table.delimiter === '\t' ? 'tsv' : 'csv', table.header, table);
  }

  const header = singleColumnHeader(text, start);
  scanWords(text, c, header ? header.end : start);
  return c.result('text', header ? [header.name] : null, null);
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
    table: null,
    skippedWords: 0,
    skippedValues: 0,
  };
}
