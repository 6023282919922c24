/**
 * The per-ID message of a result row (a batch item's `code` and `message`, a move item's
 * `message`), worded in the console's language from its code, or from the server's fixed words
 * where a message has no code (invalid IDs, a move's IDs). SecMaster's own codes and any text this
 * UI does not know are shown as sent, marked `translate="no"` (src/lib/error-text.tsx).
 */
import type { ItemParams } from '../i18n/catalogs/en/core/errors';
import { t, type Catalog, type MessageKey } from '../i18n/i18n';
import { dataclassSingular } from './words';

/**
 * A message in parts: words in the console's language, then any text shown as sent, or the
 * server's detail that the words leave out.
 */
export interface ItemMessageParts {
  /** Words in the console's language ('' when nothing of it is known). */
  words: string;
  /** Text as SecMaster or the server wrote it, not translated; null when all of it is known. */
  asSent: string | null;
  /**
   * The recorded message itself, when the words are worded from its code and leave some of it
   * out (a language other than English: "the call timed out after 30 s", SecMaster's own words
   * after "HTTP 400"…): shown after the words as data (`lang="en"`), as English shows it. Null
   * when the words say all of it (English, and the server's fixed words in any language).
   */
  detail: string | null;
}

type ItemKey = {
  [K in MessageKey]: K extends `errors.item${string}`
    ? Catalog[K] extends (p: ItemParams, f: never) => string
      ? K
      : never
    : never;
}[MessageKey];

/** Codes whose message is worded by the code alone. */
const BY_CODE: Record<string, ItemKey> = {
  ALREADY_LINKED: 'errors.itemAlreadyLinked',
  NOT_LINKED: 'errors.itemNotLinked',
  APPLIED_EARLIER: 'errors.itemConfirmed',
  MAY_BE_APPLIED: 'errors.itemMayBeApplied',
  UNKNOWN_AFTER_RESTART: 'errors.itemUnknownAfterRestart',
  UNKNOWN_NOT_RECORDED: 'errors.itemUnknownNotRecorded',
  NOT_REPORTED: 'errors.itemNotReported',
  REPORTED_AS_BOTH: 'errors.itemReportedAsBoth',
  NOT_FOUND: 'errors.itemNotFound',
  TIMEOUT: 'errors.itemTimeout',
  UPSTREAM_NETWORK: 'errors.itemNetwork',
  UPSTREAM_BAD_RESPONSE: 'errors.itemBadResponse',
  UPSTREAM_UNREACHABLE: 'errors.itemUnreachable',
  UPSTREAM_REDIRECT: 'errors.itemRedirect',
  INVALID_REQUEST: 'errors.itemInvalidRequest',
  CANCELLED: 'errors.itemSkippedByUser',
  'APIG.0308': 'errors.itemThrottled',
};

/** The server's fixed words (messages without a code, or whose code has several). */
const BY_TEXT: Record<string, ItemKey> = {
  'already linked': 'errors.itemAlreadyLinked',
  'was not linked': 'errors.itemNotLinked',
  'confirmed by re-read': 'errors.itemConfirmed',
  'Outcome unknown — re-check': 'errors.itemUnknownRecheck',
  'outcome unknown: the server stopped while this call was in flight':
    'errors.itemUnknownAfterRestart',
  'outcome unknown: the ledger could not record the answer to this call':
    'errors.itemUnknownNotRecorded',
  'SecMaster rejected this ID (no reason given)': 'errors.itemRejected',
  'exists; rejected by SecMaster': 'errors.itemExistsRejected',
  'not reported by SecMaster': 'errors.itemNotReported',
  'reported as both succeeded and failed by SecMaster': 'errors.itemReportedAsBoth',
  'not found in this workspace': 'errors.itemNotFound',
  'stopped by the user before it was sent': 'errors.itemSkippedByUser',
  'not a well-formed ID: 32 to 64 letters, digits, "-" or "_"': 'errors.itemInvalidId',
  'linked to the destination; whether it left the source is unknown — re-check':
    'errors.itemSourceUnknown',
  'linked to the destination, not removed from the source: the move was stopped first':
    'errors.itemStoppedBeforeSource',
  'linked to the destination, but not removed from the source (not part of the second phase)':
    'errors.itemNotSentToSource',
};

const WRONG_CLASS = /^is not an? (alert|incident|indicator)$/;
const NOT_APPLIED = /^not applied after (\d+) attempts/;
const NOT_HEX = /^not a UUID: "(.)" is not a hexadecimal digit$/;
const UUID_GROUPS = /^not a UUID: groups of ([\d-]+) characters \(a UUID has 8-4-4-4-12\)$/;
const READ_REFUSED = 'not sent: SecMaster refused the read of the current links before writing';
const SUBJECT = 'subject: ';
const NOT_REMOVED = 'linked to the destination, but removing it from the source failed: ';

const CLASSES = { alert: 'alerts', incident: 'incidents', indicator: 'indicators' } as const;

/** Words that say all of the message (the server's fixed words, a pattern read whole). */
function whole(words: string): ItemMessageParts {
  return { words, asSent: null, detail: null };
}

/** Words worded from a code: the message follows as detail where the words leave it out. */
function fromCode(words: string, message: string): ItemMessageParts {
  const said = message.trim();
  return { words, asSent: null, detail: said && !words.includes(said) ? said : null };
}

function known(key: ItemKey, message: string): ItemMessageParts {
  return whole(t(key, { message }));
}

/** Words for the server's fixed texts (and their patterns), or null. */
function byText(message: string): ItemMessageParts | null {
  const key = Object.prototype.hasOwnProperty.call(BY_TEXT, message) ? BY_TEXT[message] : null;
  if (key) return known(key, message);
  let m = WRONG_CLASS.exec(message);
  if (m) {
    const expected = dataclassSingular(CLASSES[m[1] as keyof typeof CLASSES]);
    return whole(t('errors.itemWrongClass', { message, expected }));
  }
  m = NOT_APPLIED.exec(message);
  // Its last outcome's code (in parentheses) is detail.
  if (m) return fromCode(t('errors.itemNotApplied', { message, attempts: Number(m[1]) }), message);
  m = NOT_HEX.exec(message);
  if (m) return whole(t('errors.itemNotHexDigit', { message, digit: m[1] ?? '' }));
  m = UUID_GROUPS.exec(message);
  if (m) return whole(t('errors.itemUuidGroups', { message, groups: m[1] ?? '' }));
  if (message.startsWith(READ_REFUSED)) {
    const words = t('errors.itemReadRefused', { message });
    // SecMaster's answer to the read follows the fixed words.
    return message.trim() === READ_REFUSED ? whole(words) : fromCode(words, message);
  }
  for (const [prefix, key] of [
    [SUBJECT, 'errors.itemSubject'],
    [NOT_REMOVED, 'errors.itemNotRemoved'],
  ] as const) {
    if (!message.startsWith(prefix)) continue;
    const inner = itemMessage(null, message.slice(prefix.length));
    // The inner reason is known: one sentence. Else the known words, then the reason as sent.
    if (inner.asSent === null)
      return { words: t(key, { message, why: inner.words }), asSent: null, detail: inner.detail };
    const words = t(key, { message: prefix.trimEnd(), why: '' }).trimEnd();
    return { words, asSent: inner.asSent, detail: null };
  }
  return null;
}

/**
 * The message of an item with `code` (null when it has none) and the recorded `message`: words in
 * the console's language for the codes and texts the console knows; else the text as sent.
 */
export function itemMessage(code: string | null, message: string | null): ItemMessageParts {
  const text = message ?? '';
  if (code !== null) {
    const fixed = byText(text);
    if (fixed) return fixed;
    if (Object.prototype.hasOwnProperty.call(BY_CODE, code)) {
      const key = BY_CODE[code];
      if (key) return fromCode(t(key, { message: text }), text);
    }
    const http = /^HTTP_(\d+)$/.exec(code);
    if (http) {
      const status = http[1] ?? '';
      const words = t('errors.itemHttp', { message: text, status });
      // The server's words when SecMaster gave none say only the status.
      return text === `SecMaster answered HTTP ${status}` ? whole(words) : fromCode(words, text);
    }
    return { words: '', asSent: text || null, detail: null };
  }
  return byText(text) ?? { words: '', asSent: text || null, detail: null };
}

/** The message as one line of plain text (for a title or a copy). */
export function itemMessageText(parts: ItemMessageParts): string {
  const detail = parts.detail ? `${t('errors.detailLabel')}${parts.detail}` : null;
  return [parts.words, parts.asSent, detail].filter(Boolean).join(' ');
}
