import { describe, expect, test } from 'vitest';
import { UpstreamError, UpstreamRequestError, type UpstreamResponse } from '../../secmaster/client';
import { DEFAULT_RETRY_POLICY } from '../retry';
import {
  MSG_BOTH,
  MSG_NOT_REPORTED,
  MSG_REJECTED,
  judge,
  judgeRead,
  mayRetry,
  readStep,
  retryKind,
} from './verdict';

const A = '8c7d6e5f-0000-4000-8000-00000000000a';
const B = '8c7d6e5f-0000-4000-8000-00000000000b';
const C = '8c7d6e5f-0000-4000-8000-00000000000c';
const D = '8c7d6e5f-0000-4000-8000-00000000000d';

function answer(status: number, body: unknown, extra: Partial<UpstreamResponse> = {}) {
  return { status, requestId: 'hdr-rid', body, ...extra } satisfies UpstreamResponse;
}

describe('judge: a readable 2xx answer gives one outcome per ID', () => {
  test('success_ids, error_ids, neither, both; IDs compared case-insensitively; code as a string', () => {
    const v = judge(
      [A, B, C, D],
      answer(200, {
        code: 0,
        request_id: 'body-rid',
        success: false,
        data: { success_ids: [A.toUpperCase(), D], error_ids: [B, D] },
      }),
    );
    expect(v).toEqual({
      kind: 'outcomes',
      status: 200,
      requestId: 'body-rid',
      code: '0',
      outcomes: [
        { id: A, state: 'succeeded', code: null, message: null },
        { id: B, state: 'failed', code: 'REJECTED', message: MSG_REJECTED },
        { id: C, state: 'failed', code: 'NOT_REPORTED', message: MSG_NOT_REPORTED },
        { id: D, state: 'unknown', code: 'REPORTED_AS_BOTH', message: MSG_BOTH },
      ],
    });
  });

  test('without a request_id in the body, the header one is kept; no data: every ID not reported', () => {
    const v = judge([A], answer(201, { code: '00000000' }));
    expect(v).toMatchObject({
      kind: 'outcomes',
      status: 201,
      requestId: 'hdr-rid',
      code: '00000000',
      outcomes: [{ id: A, state: 'failed', code: 'NOT_REPORTED' }],
    });
  });

  test('a 200 whose body is not the write answer leaves every ID unknown', () => {
    expect(judge([A, B], answer(200, { data: { success_ids: 'all' } }))).toEqual({
      kind: 'all',
      state: 'unknown',
      code: 'UPSTREAM_BAD_RESPONSE',
      message: 'SecMaster answered HTTP 200 with an unreadable body; outcome unknown',
      status: 200,
      requestId: 'hdr-rid',
    });
  });
});

describe('judge: an HTTP error answer', () => {
  test('401 is an authentication failure, whatever the body', () => {
    expect(judge([A], answer(401, 'nope'))).toEqual({
      kind: 'auth',
      code: 'HTTP_401',
      message: 'SecMaster answered HTTP 401',
      status: 401,
      requestId: 'hdr-rid',
    });
  });

  test('the gateway codes APIG.0301 and APIG.0303 are authentication failures on any status', () => {
    for (const code of ['APIG.0301', 'APIG.0303']) {
      expect(
        judge(
          [A],
          answer(403, { error_code: code, error_msg: 'bad signature', request_id: 'gw-rid' }),
        ),
      ).toEqual({
        kind: 'auth',
        code,
        message: 'bad signature',
        status: 403,
        requestId: 'gw-rid',
      });
    }
  });

  test('429 is throttling, retried with its Retry-After, never applied', () => {
    expect(
      judge(
        [A],
        answer(429, { error_code: 'APIG.0308', error_msg: 'throttled' }, { retryAfter: '3' }),
      ),
    ).toEqual({
      kind: 'retry',
      throttled: true,
      mayBeApplied: false,
      timeoutLike: false,
      retryAfter: '3',
      code: 'APIG.0308',
      message: 'throttled',
      status: 429,
      requestId: 'hdr-rid',
    });
  });

  test('APIG.0308 is throttling on any status; no Retry-After header is null', () => {
    expect(
      judge([A], answer(403, { error_code: 'APIG.0308', error_msg: 'slow down' })),
    ).toMatchObject({ kind: 'retry', throttled: true, mayBeApplied: false, retryAfter: null });
  });

  test('5xx is retried and may have been applied; the Retry-After of a 5xx is not used', () => {
    expect(
      judge([A], answer(503, { code: 'SecMaster.500', message: 'busy' }, { retryAfter: '120' })),
    ).toEqual({
      kind: 'retry',
      throttled: false,
      mayBeApplied: true,
      timeoutLike: false,
      retryAfter: null,
      code: 'SecMaster.500',
      message: 'busy',
      status: 503,
      requestId: 'hdr-rid',
    });
  });

  test('another 4xx fails every ID with the code and message received', () => {
    expect(
      judge(
        [A, B],
        answer(400, {
          code: 'SecMaster.20030005',
          message: 'data object not found',
          request_id: 'sm-rid',
        }),
      ),
    ).toEqual({
      kind: 'all',
      state: 'failed',
      code: 'SecMaster.20030005',
      message: 'data object not found',
      status: 400,
      requestId: 'sm-rid',
    });
  });

  test("an error body that is not SecMaster's or the gateway's: HTTP_<status>, a message that says it", () => {
    expect(judge([A], answer(404, '<html>'))).toEqual({
      kind: 'all',
      state: 'failed',
      code: 'HTTP_404',
      message: 'SecMaster answered HTTP 404',
      status: 404,
      requestId: 'hdr-rid',
    });
    // An empty message is no message.
    expect(judge([A], answer(409, { code: 'X', message: '' }))).toMatchObject({
      code: 'X',
      message: 'SecMaster answered HTTP 409',
    });
  });
});

describe('judge: no usable answer', () => {
  const err = (kind: UpstreamError['kind'], status: number | null = null) =>
    new UpstreamError(kind, `${kind} happened`, status, 'err-rid');

  test('a connection never opened: retried at the timeout price, not applied when retries run out', () => {
    expect(judge([A], err('connect'))).toEqual({
      kind: 'retry',
      throttled: false,
      mayBeApplied: false,
      timeoutLike: true,
      retryAfter: null,
      code: 'UPSTREAM_UNREACHABLE',
      message: 'connect happened',
      status: null,
      requestId: 'err-rid',
    });
  });

  test('a timeout after sending leaves the outcome unknown', () => {
    expect(judge([A], err('timeout'))).toEqual({
      kind: 'all',
      state: 'unknown',
      code: 'TIMEOUT',
      message: 'timeout happened; outcome unknown',
      status: null,
      requestId: 'err-rid',
    });
  });

  test('a reset or an abort after sending leaves the outcome unknown', () => {
    for (const kind of ['network', 'aborted'] as const) {
      expect(judge([A], err(kind))).toMatchObject({
        kind: 'all',
        state: 'unknown',
        code: 'UPSTREAM_NETWORK',
        message: `${kind} happened; outcome unknown`,
      });
    }
  });

  test('an unreadable or oversized answer: by its status', () => {
    for (const kind of ['bad_json', 'too_large'] as const) {
      expect(judge([A], err(kind, 200))).toMatchObject({
        kind: 'all',
        state: 'unknown',
        code: 'UPSTREAM_BAD_RESPONSE',
        message: `${kind} happened; outcome unknown`,
      });
      expect(judge([A], err(kind, 429))).toMatchObject({
        kind: 'retry',
        throttled: true,
        mayBeApplied: false,
        code: 'HTTP_429',
      });
      expect(judge([A], err(kind, 502))).toMatchObject({
        kind: 'retry',
        throttled: false,
        mayBeApplied: true,
        code: 'HTTP_502',
      });
      expect(judge([A], err(kind, 401))).toMatchObject({ kind: 'auth', code: 'HTTP_401' });
      expect(judge([A], err(kind, 400))).toMatchObject({
        kind: 'all',
        state: 'failed',
        code: 'HTTP_400',
      });
      // No status at all reads as HTTP_0: failed, never retried.
      expect(judge([A], err(kind))).toMatchObject({ kind: 'all', state: 'failed', code: 'HTTP_0' });
    }
  });

  test('a redirect fails the IDs (redirects are never followed)', () => {
    expect(judge([A], err('redirect', 302))).toMatchObject({
      kind: 'all',
      state: 'failed',
      code: 'UPSTREAM_REDIRECT',
      status: 302,
    });
  });

  test('a request that could not be built fails the IDs, with no status or request ID', () => {
    expect(judge([A], new UpstreamRequestError('subject is not a well-formed ID'))).toEqual({
      kind: 'all',
      state: 'failed',
      code: 'INVALID_REQUEST',
      message: 'subject is not a well-formed ID',
      status: null,
      requestId: null,
    });
  });
});

describe('judgeRead and readStep: the read before writing', () => {
  test('a readable search answer gives the ID keys found (id or data_object.id)', () => {
    const v = judgeRead(
      answer(200, {
        code: '00000000',
        data: [{ id: A.toUpperCase() }, { data_object: { id: B } }],
      }),
    );
    expect(v).toEqual({ kind: 'found', present: new Set([A, B]) });
    expect(readStep(v)).toBe(v);
  });

  test('an unreadable 200 is read again (a read changes nothing)', () => {
    const v = judgeRead(answer(200, { code: '00000000' }));
    expect(v).toMatchObject({ kind: 'retry', code: 'UPSTREAM_BAD_RESPONSE', mayBeApplied: false });
    expect(readStep(v)).toEqual({
      kind: 'again',
      throttled: false,
      retryAfter: null,
      timeoutLike: false,
    });
  });

  test('a timeout or reset of a read is read again at the timeout price', () => {
    for (const kind of ['timeout', 'network'] as const) {
      expect(readStep(judgeRead(new UpstreamError(kind, 'x')))).toEqual({
        kind: 'again',
        throttled: false,
        retryAfter: null,
        timeoutLike: true,
      });
    }
  });

  test('throttling keeps its Retry-After', () => {
    expect(
      readStep(judgeRead(answer(429, { error_code: 'APIG.0308' }, { retryAfter: '7' }))),
    ).toEqual({ kind: 'again', throttled: true, retryAfter: '7', timeoutLike: false });
  });

  test('a 401 stops the batch; another 4xx refuses the read for good', () => {
    expect(readStep(judgeRead(answer(401, { error_code: 'APIG.0301', error_msg: 'bad' })))).toEqual(
      { kind: 'auth', code: 'APIG.0301', message: 'bad' },
    );
    expect(
      readStep(judgeRead(answer(403, { code: 'SecMaster.20010001', message: 'no workspace' }))),
    ).toEqual({ kind: 'refused', code: 'SecMaster.20010001', message: 'no workspace' });
    expect(readStep(judgeRead(new UpstreamRequestError('bad id')))).toEqual({
      kind: 'refused',
      code: 'INVALID_REQUEST',
      message: 'bad id',
    });
  });
});

describe('the retry decision', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, throttledAttempts: 3, transientAttempts: 2 };

  test('a chain sends at most the attempts of its kind', () => {
    expect([1, 2, 3].map((sends) => mayRetry(policy, true, sends))).toEqual([true, true, false]);
    expect([1, 2].map((sends) => mayRetry(policy, false, sends))).toEqual([true, false]);
  });

  test('throttling waits the throttled backoff, the rest the transient one', () => {
    expect(retryKind(true)).toBe('throttled');
    expect(retryKind(false)).toBe('transient');
  });
});
