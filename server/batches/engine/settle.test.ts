import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { UNCHANGED_ALREADY_LINKED } from '../../../src/api/schemas';
import { MSG_CONFIRMED, type PendingRow } from '../ledger';
import {
  afterClassRead,
  afterLinksRead,
  afterReread,
  alreadySo,
  callMeta,
  credentialsRefused,
  endOfChain,
  haltReason,
  notRetried,
  readRefused,
} from './settle';
import type { RetryVerdict } from './verdict';

const A = '8c7d6e5f-0000-4000-8000-00000000000a';
const B = '8c7d6e5f-0000-4000-8000-00000000000b';
const C = '8c7d6e5f-0000-4000-8000-00000000000c';

const row = (seq: number, id: string, attempts = 0, mayBeApplied = attempts > 0): PendingRow => ({
  seq,
  id,
  attempts,
  mayBeApplied,
});

function retry(o: Partial<RetryVerdict> = {}): RetryVerdict {
  return {
    kind: 'retry',
    throttled: false,
    mayBeApplied: true,
    timeoutLike: false,
    retryAfter: null,
    code: 'SecMaster.500',
    message: 'internal',
    status: 500,
    requestId: 'rid',
    ...o,
  };
}

describe('endOfChain: what a call chain records when it ends', () => {
  test('per-ID outcomes as judged, with the call meta', () => {
    const outcomes = [
      { id: A, state: 'succeeded' as const, code: null, message: null },
      {
        id: B,
        state: 'failed' as const,
        code: 'NOT_FOUND',
        message: 'not found in this workspace',
      },
    ];
    expect(
      endOfChain([A, B], { kind: 'outcomes', outcomes, status: 200, requestId: 'r', code: '0' }),
    ).toEqual({
      kind: 'outcomes',
      outcomes,
      meta: { httpStatus: 200, requestId: 'r', errorCode: '0' },
    });
  });

  test('a whole-call verdict gives every ID the same outcome', () => {
    expect(
      endOfChain([A, B], {
        kind: 'all',
        state: 'unknown',
        code: 'TIMEOUT',
        message: 'timed out; outcome unknown',
        status: null,
        requestId: null,
      }),
    ).toEqual({
      kind: 'outcomes',
      outcomes: [
        { id: A, state: 'unknown', code: 'TIMEOUT', message: 'timed out; outcome unknown' },
        { id: B, state: 'unknown', code: 'TIMEOUT', message: 'timed out; outcome unknown' },
      ],
      meta: { httpStatus: null, requestId: null, errorCode: 'TIMEOUT' },
    });
  });

  test('refused credentials: the IDs go back to pending and the batch is interrupted with the reason', () => {
    expect(
      endOfChain([A], {
        kind: 'auth',
        code: 'APIG.0301',
        message: 'Incorrect IAM authentication information',
        status: 401,
        requestId: 'g',
      }),
    ).toEqual({
      kind: 'interrupt',
      meta: { httpStatus: 401, requestId: 'g', errorCode: 'APIG.0301' },
      reason:
        "SecMaster refused the console's credentials (APIG.0301: Incorrect IAM authentication information); the batch stopped and its unsent IDs stay pending",
    });
  });

  test('retries used up: a 5xx may have been applied (unknown, re-read); a connect failure was not (failed)', () => {
    expect(endOfChain([A], retry())).toMatchObject({
      kind: 'outcomes',
      outcomes: [{ id: A, state: 'unknown', code: 'SecMaster.500', message: 'internal' }],
    });
    expect(
      endOfChain([A], retry({ mayBeApplied: false, timeoutLike: true, code: 'UPSTREAM_NETWORK' })),
    ).toMatchObject({
      kind: 'outcomes',
      outcomes: [{ id: A, state: 'failed', code: 'UPSTREAM_NETWORK', message: 'internal' }],
    });
  });

  test('throttled through every retry: never a failure, the IDs go back to pending', () => {
    expect(
      endOfChain(
        [A, B],
        retry({ mayBeApplied: false, throttled: true, status: 429, code: 'APIG.0308' }),
      ),
    ).toEqual({
      kind: 'release',
      meta: { httpStatus: 429, requestId: 'rid', errorCode: 'APIG.0308' },
    });
  });
});

describe('notRetried: a retry that is not sent now', () => {
  test('refused before being applied: the IDs go back to pending', () => {
    expect(notRetried([A, B], retry({ mayBeApplied: false, status: 429, code: 'X' }))).toEqual({
      kind: 'release',
      meta: { httpStatus: 429, requestId: 'rid', errorCode: 'X' },
    });
  });

  test('may have been applied: unknown, to be re-read before anything is sent again', () => {
    expect(notRetried([A, B], retry())).toEqual({
      kind: 'outcomes',
      outcomes: [A, B].map((id) => ({
        id,
        state: 'unknown',
        code: 'MAY_BE_APPLIED',
        message: 'internal; may have been applied: re-read before sending again',
      })),
      meta: { httpStatus: 500, requestId: 'rid', errorCode: 'SecMaster.500' },
    });
  });
});

test('callMeta keeps the status, request ID and code of the answer', () => {
  expect(callMeta(retry({ status: 502, requestId: null, code: 'HTTP_502' }))).toEqual({
    httpStatus: 502,
    requestId: null,
    errorCode: 'HTTP_502',
  });
});

test('credentialsRefused leaves out an empty message', () => {
  expect(credentialsRefused('HTTP_401', '')).toBe(
    "SecMaster refused the console's credentials (HTTP_401); the batch stopped and its unsent IDs stay pending",
  );
});

describe('the pre-read', () => {
  test('associate: linked IDs are unchanged (never sent), the others are sent', () => {
    const rows = [row(1, A), row(2, B), row(3, C)];
    expect(afterLinksRead('associate', rows, new Set([A, C]))).toEqual({
      settled: [
        { seq: 1, state: 'unchanged', code: 'ALREADY_LINKED', message: 'already linked' },
        { seq: 3, state: 'unchanged', code: 'ALREADY_LINKED', message: 'already linked' },
      ],
      ready: [row(2, B)],
      lookUp: [],
    });
  });

  test('the links are compared by ID key (upper-case UUIDs match)', () => {
    expect(
      afterLinksRead('associate', [row(1, A.toUpperCase())], new Set([A])).settled,
    ).toHaveLength(1);
  });

  test('cancel: linked IDs are sent; the others are looked up in the related class', () => {
    const rows = [row(1, A), row(2, B)];
    expect(afterLinksRead('cancel', rows, new Set([A]))).toEqual({
      settled: [],
      ready: [row(1, A)],
      lookUp: [row(2, B)],
    });
  });

  test('cancel, not linked: an existing ID is unchanged, one not found is sent (so its refusal is explained)', () => {
    expect(afterClassRead([row(2, B), row(3, C)], new Set([B]))).toEqual({
      settled: [{ seq: 2, state: 'unchanged', code: 'NOT_LINKED', message: 'was not linked' }],
      ready: [row(3, C)],
    });
  });

  test('an ID already so after an earlier send of this batch is a success of that send', () => {
    expect(alreadySo(row(4, A, 2), { code: 'ALREADY_LINKED', message: 'already linked' })).toEqual({
      seq: 4,
      state: 'succeeded',
      code: 'APPLIED_EARLIER',
      message: MSG_CONFIRMED,
    });
    expect(afterLinksRead('associate', [row(4, A, 1)], new Set([A])).settled[0]?.state).toBe(
      'succeeded',
    );
    expect(afterClassRead([row(4, A, 1)], new Set([A])).settled[0]?.code).toBe('APPLIED_EARLIER');
  });

  test('an ID already so after sends that were all refused before being applied (429) is unchanged', () => {
    expect(alreadySo(row(4, A, 2, false), UNCHANGED_ALREADY_LINKED)).toEqual({
      seq: 4,
      state: 'unchanged',
      ...UNCHANGED_ALREADY_LINKED,
    });
    expect(afterClassRead([row(4, A, 3, false)], new Set([A])).settled[0]?.state).toBe('unchanged');
  });

  test('a read refused for good fails its rows, not sent, with the reason (or the code)', () => {
    expect(readRefused([row(1, A)], 'SecMaster.20010001', 'workspace not found')).toEqual([
      {
        seq: 1,
        state: 'failed',
        code: 'SecMaster.20010001',
        message:
          'not sent: SecMaster refused the read of the current links before writing (workspace not found)',
      },
    ]);
    expect(readRefused([row(1, A)], 'HTTP_403', '')[0]?.message).toContain('(HTTP_403)');
  });
});

describe('afterReread: unknown outcomes settled by the re-read', () => {
  const item = (code: string | null, attempts = 1, message: string | null = 'm') => ({
    code,
    message,
    attempts,
  });

  test('associate: linked → succeeded; absent after an unknown outcome → sent again', () => {
    const items = new Map([
      [A, item('TIMEOUT')],
      [B, item('MAY_BE_APPLIED')],
    ]);
    expect(afterReread('associate', [A, B], new Set([A]), items, 8)).toEqual({
      succeeded: [A],
      resend: [B],
      failed: [],
    });
  });

  test('cancel is the inverse: absent → succeeded, still linked → sent again', () => {
    const items = new Map([
      [A, item('UPSTREAM_NETWORK')],
      [B, item('REPORTED_AS_BOTH')],
    ]);
    expect(afterReread('cancel', [A, B], new Set([A]), items, 8)).toEqual({
      succeeded: [B],
      resend: [A],
      failed: [],
    });
  });

  test('every unknown code that means "maybe not applied" is sent again when absent', () => {
    const codes = [
      'MAY_BE_APPLIED',
      'TIMEOUT',
      'UPSTREAM_NETWORK',
      'UPSTREAM_BAD_RESPONSE',
      'UNKNOWN_AFTER_RESTART',
      'UNKNOWN_NOT_RECORDED',
      'REPORTED_AS_BOTH',
    ];
    const ids = codes.map((_, i) => `id-${i}`);
    const items = new Map(ids.map((id, i) => [id, item(codes[i] ?? null)]));
    expect(afterReread('associate', ids, new Set(), items, 8).resend).toEqual(ids);
  });

  test('absent after a 5xx whose retries were used up: failed with its own code and message', () => {
    const items = new Map([[A, item('SecMaster.500', 4, 'internal')]]);
    expect(afterReread('associate', [A], new Set(), items, 8)).toEqual({
      succeeded: [],
      resend: [],
      failed: [{ id: A, code: 'SecMaster.500', message: 'internal' }],
    });
  });

  test('absent after too many sends: failed NOT_APPLIED, not sent again', () => {
    const items = new Map([[A, item('TIMEOUT', 8)]]);
    expect(afterReread('associate', [A], new Set(), items, 8).failed).toEqual([
      {
        id: A,
        code: 'NOT_APPLIED',
        message: 'not applied after 8 attempts (TIMEOUT; confirmed by re-read)',
      },
    ]);
    const fewer = new Map([[A, item('TIMEOUT', 7)]]);
    expect(afterReread('associate', [A], new Set(), fewer, 8).resend).toEqual([A]);
  });

  test('an ID with no item row is sent again (its outcome is unknown)', () => {
    expect(afterReread('associate', [A], new Set(), new Map(), 8).resend).toEqual([A]);
    expect(afterReread('associate', [A], new Set(), new Map(), 0).failed).toEqual([
      {
        id: A,
        code: 'NOT_APPLIED',
        message: 'not applied after 0 attempts (unknown outcome; confirmed by re-read)',
      },
    ]);
  });
});

describe('haltReason', () => {
  test('a ledger error names its code, with a hint for a full disk', () => {
    expect(haltReason(new Database.SqliteError('full', 'SQLITE_FULL'))).toBe(
      'the ledger could not be written (disk full?): SQLITE_FULL; the batch stopped and sends nothing more; resume when fixed',
    );
    expect(haltReason(new Database.SqliteError('io', 'SQLITE_IOERR_WRITE'))).toContain(
      '(disk error?): SQLITE_IOERR_WRITE',
    );
  });

  test('anything else is an internal error', () => {
    expect(haltReason(new Error('boom'))).toBe(
      'internal error: boom; the batch stopped; resume to retry',
    );
    expect(haltReason('odd')).toBe('internal error: odd; the batch stopped; resume to retry');
  });
});
