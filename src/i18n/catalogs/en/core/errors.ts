/**
 * Errors and per-ID messages, by code (src/api/client.ts `describeError`, src/lib/item-message.ts
 * `itemMessage`). The server and SecMaster write their messages in English, and the console shows
 * them as they are in English (`asSent`: tests, docs and support tickets quote them); other
 * languages word each code themselves. A code no catalog knows is shown as sent, with its code.
 */
import type { Messages } from '../../../messages';

/** What an error message may use: the server's own text, the field it names, the HTTP status. */
export type ErrorParams = { message: string; field: string | null; status: number };
/** What a per-ID message may use: the text recorded with the item. */
export type ItemParams = { message: string };

/** The server's (or SecMaster's) English, as sent. */
const errorAsSent = ({ message }: ErrorParams) => message;
const itemAsSent = ({ message }: ItemParams) => message;

export const errors = {
  // --- How an error is written around its words ---------------------------------------------
  /** The code after the words: "(NOT_FOUND)". */
  'errors.code': ({ code }: { code: string }) => `(${code})`,
  'errors.requestId': 'request ID',
  /**
   * Before the server's own words where the console's words do not hold them (never in English,
   * which shows them as they are): "原文：<the server's English>".
   */
  'errors.detailLabel': 'As sent: ',
  'errors.unknown': 'Something went wrong.',

  // --- Errors the SPA itself finds -------------------------------------------------------------
  'errors.network': (_: ErrorParams) => 'The console server could not be reached. Is it running?',
  'errors.badResponse': errorAsSent,
  'errors.http': errorAsSent,

  // --- The console server's codes -------------------------------------------------------------
  'errors.notFound': errorAsSent,
  'errors.methodNotAllowed': errorAsSent,
  'errors.forbiddenHost': errorAsSent,
  'errors.invalidPath': errorAsSent,
  'errors.invalidBody': errorAsSent,
  'errors.invalidJson': errorAsSent,
  'errors.invalidQuery': errorAsSent,
  'errors.csrf': errorAsSent,
  'errors.unsupportedMediaType': errorAsSent,
  'errors.bodyTooLarge': errorAsSent,
  'errors.internal': errorAsSent,
  'errors.storageUnavailable': errorAsSent,
  'errors.dataDirLost': errorAsSent,
  'errors.invalidState': errorAsSent,
  'errors.nothingToUndo': errorAsSent,
  'errors.nothingToRetry': errorAsSent,
  'errors.alreadyUndone': errorAsSent,
  'errors.changesNotRecorded': errorAsSent,
  'errors.idempotencyMismatch': errorAsSent,
  'errors.invalidIdempotencyKey': errorAsSent,
  'errors.tooManyChecks': errorAsSent,
  'errors.signInRequired': errorAsSent,
  'errors.signInFailed': errorAsSent,
  'errors.signInForbidden': errorAsSent,
  'errors.signInMethodUnavailable': errorAsSent,
  'errors.rateLimited': errorAsSent,
  'errors.tooManySignIns': errorAsSent,
  'errors.tooManySessions': errorAsSent,
  'errors.wrongProject': errorAsSent,
  'errors.forbiddenProject': errorAsSent,
  'errors.iamError': errorAsSent,
  'errors.iamUnreachable': errorAsSent,
  'errors.iamThrottled': errorAsSent,
  'errors.upstreamTimeout': errorAsSent,
  'errors.upstreamError': errorAsSent,
  'errors.upstreamBadResponse': errorAsSent,
  'errors.upstreamTooLarge': errorAsSent,
  'errors.upstreamUnreachable': errorAsSent,
  'errors.upstreamNetwork': errorAsSent,
  'errors.upstreamRedirect': errorAsSent,
  // --- The API gateway's codes (APIG.*) -------------------------------------------------------
  'errors.apigNoApi': errorAsSent,
  'errors.apigAuth': errorAsSent,
  'errors.apigNotAuthorized': errorAsSent,
  'errors.apigAppAuth': errorAsSent,
  'errors.apigThrottled': errorAsSent,

  // --- Per-ID messages (an item's code and message) -------------------------------------------
  'errors.itemAlreadyLinked': itemAsSent,
  'errors.itemNotLinked': itemAsSent,
  'errors.itemConfirmed': itemAsSent,
  'errors.itemMayBeApplied': itemAsSent,
  'errors.itemNotApplied': ({ message }: ItemParams & { attempts: number }) => message,
  'errors.itemUnknownAfterRestart': itemAsSent,
  'errors.itemUnknownNotRecorded': itemAsSent,
  'errors.itemUnknownRecheck': itemAsSent,
  'errors.itemRejected': itemAsSent,
  'errors.itemExistsRejected': itemAsSent,
  'errors.itemNotReported': itemAsSent,
  'errors.itemReportedAsBoth': itemAsSent,
  'errors.itemNotFound': itemAsSent,
  'errors.itemWrongClass': ({ message }: ItemParams & { expected: string }) => message,
  'errors.itemTimeout': itemAsSent,
  'errors.itemNetwork': itemAsSent,
  'errors.itemBadResponse': itemAsSent,
  'errors.itemUnreachable': itemAsSent,
  'errors.itemRedirect': itemAsSent,
  'errors.itemInvalidRequest': itemAsSent,
  'errors.itemHttp': ({ message }: ItemParams & { status: string }) => message,
  'errors.itemThrottled': itemAsSent,
  'errors.itemSkippedByUser': itemAsSent,
  'errors.itemReadRefused': itemAsSent,
  'errors.itemInvalidId': itemAsSent,
  'errors.itemNotHexDigit': ({ message }: ItemParams & { digit: string }) => message,
  'errors.itemUuidGroups': ({ message }: ItemParams & { groups: string }) => message,
  /** A pair whose subject is malformed: "subject: <why>". */
  'errors.itemSubject': ({ message }: ItemParams & { why: string }) => message,
  // A move's IDs (no code: by their words).
  'errors.itemNotRemoved': ({ message }: ItemParams & { why: string }) => message,
  'errors.itemSourceUnknown': itemAsSent,
  'errors.itemStoppedBeforeSource': itemAsSent,
  'errors.itemNotSentToSource': itemAsSent,
} satisfies Messages;
