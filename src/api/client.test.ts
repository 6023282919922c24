import { expect, test } from 'vitest';
import { corePart as zhCore } from '../i18n/catalogs/zh-CN/core';
import { setCatalog } from '../i18n/i18n';
import { ApiError, describeError, errorParts, KNOWN_ERROR_CODES } from './client';

/** The Chinese catalog (each test starts in English: src/testing/setup-i18n.ts). */
function inChinese() {
  setCatalog('zh-CN', zhCore);
}

const notFound = new ApiError({
  status: 404,
  code: 'NOT_FOUND',
  message: 'no such batch',
  requestId: 'req-1',
});

test('in English an error reads as the server wrote it, with its code and request ID', () => {
  expect(describeError(notFound)).toBe('no such batch (NOT_FOUND) request ID req-1');
  const invalid = new ApiError({
    status: 400,
    code: 'INVALID_BODY',
    message: 'ids: every ID is blank',
    field: 'ids',
  });
  expect(describeError(invalid)).toBe('ids: every ID is blank (INVALID_BODY)');
  // HTTP_<status>: the words say the status; no code after them.
  const http = new ApiError({
    status: 502,
    code: 'HTTP_502',
    message: 'Request failed with HTTP 502',
  });
  expect(describeError(http)).toBe('Request failed with HTTP 502');
  // The SPA's own error (no answer): its words, whatever message it was made with.
  const network = new ApiError({ status: 0, code: 'NETWORK', message: 'anything', ownWords: true });
  expect(describeError(network)).toBe(
    'The console server could not be reached. Is it running? (NETWORK)',
  );
  expect(describeError(new Error('The file is empty'))).toBe('The file is empty');
  expect(describeError('??')).toBe('Something went wrong.');
});

test('in Chinese an error is worded from its code, then the server’s own words; the code and request ID stay as they are', () => {
  inChinese();
  expect(describeError(notFound)).toBe(
    '找不到请求的内容（可能已被删除，或链接有误）。 原文：no such batch （NOT_FOUND） 请求 ID req-1',
  );
  const invalid = new ApiError({
    status: 400,
    code: 'INVALID_BODY',
    message: 'ids: every ID is blank',
    field: 'ids',
  });
  expect(describeError(invalid)).toBe(
    '字段 ids：请求内容无效。 原文：ids: every ID is blank （INVALID_BODY）',
  );
  const throttled = new ApiError({ status: 429, code: 'APIG.0308', message: 'throttled' });
  expect(errorParts(throttled)).toEqual({
    text: '请求被限流：已达到 API 网关的流控阈值。',
    asSent: false,
    detail: 'throttled',
    code: 'APIG.0308',
    requestId: null,
  });
  expect(describeError('??')).toBe('出错了。');
});

test('the SPA’s own words for a code add nothing after the Chinese words', () => {
  inChinese();
  const http = new ApiError({
    status: 503,
    code: 'HTTP_503',
    message: 'Request failed with HTTP 503 Service Unavailable',
    ownWords: true,
  });
  expect(describeError(http)).toBe('请求失败（HTTP 503）。');
  const network = new ApiError({
    status: 0,
    code: 'NETWORK',
    message: 'The console server could not be reached. Is it running?',
    ownWords: true,
  });
  expect(errorParts(network).detail).toBeNull();
});

test('in English the server’s words are the error’s words: no detail repeats them', () => {
  expect(errorParts(notFound).detail).toBeNull();
  const upstream = new ApiError({
    status: 502,
    code: 'UPSTREAM_ERROR',
    message: 'the search failed: SecMaster answered HTTP 500',
  });
  expect(errorParts(upstream)).toMatchObject({
    text: 'the search failed: SecMaster answered HTTP 500',
    detail: null,
  });
  inChinese();
  expect(errorParts(upstream)).toMatchObject({
    text: '向 SecMaster 的请求失败。',
    detail: 'the search failed: SecMaster answered HTTP 500',
  });
});

test('a code the console does not know shows the sender’s text, as sent, with the code', () => {
  const own = new ApiError({
    status: 400,
    code: 'SecMaster.00010001',
    message: 'Invalid workspace',
    requestId: 'r9',
  });
  for (const lang of ['en', 'zh-CN']) {
    if (lang === 'zh-CN') inChinese();
    expect(errorParts(own)).toEqual({
      text: 'Invalid workspace',
      asSent: true,
      detail: null,
      code: 'SecMaster.00010001',
      requestId: 'r9',
    });
  }
  expect(describeError(own)).toBe('Invalid workspace （SecMaster.00010001） 请求 ID r9');
});

test('every code the console server sends to the SPA is worded in Chinese', () => {
  const serverCodes = [
    'NOT_FOUND',
    'METHOD_NOT_ALLOWED',
    'FORBIDDEN_HOST',
    'INVALID_PATH',
    'INVALID_BODY',
    'INVALID_JSON',
    'INVALID_QUERY',
    'CSRF',
    'UNSUPPORTED_MEDIA_TYPE',
    'BODY_TOO_LARGE',
    'INTERNAL',
    'STORAGE_UNAVAILABLE',
    'DATA_DIR_LOST',
    'INVALID_STATE',
    'NOTHING_TO_UNDO',
    'NOTHING_TO_RETRY',
    'ALREADY_UNDONE',
    'CHANGES_NOT_RECORDED',
    'IDEMPOTENCY_MISMATCH',
    'INVALID_IDEMPOTENCY_KEY',
    'TOO_MANY_CHECKS',
    'SIGN_IN_REQUIRED',
    'SIGN_IN_FAILED',
    'SIGN_IN_FORBIDDEN',
    'SIGN_IN_METHOD_UNAVAILABLE',
    'RATE_LIMITED',
    'TOO_MANY_SIGN_INS',
    'TOO_MANY_SESSIONS',
    'WRONG_PROJECT',
    'FORBIDDEN_PROJECT',
    'IAM_ERROR',
    'IAM_UNREACHABLE',
    'IAM_THROTTLED',
    'UPSTREAM_TIMEOUT',
    'UPSTREAM_ERROR',
    'UPSTREAM_BAD_RESPONSE',
    'UPSTREAM_TOO_LARGE',
    'UPSTREAM_UNREACHABLE',
    'UPSTREAM_NETWORK',
    'UPSTREAM_REDIRECT',
    'NETWORK',
    'BAD_RESPONSE',
    'APIG.0301',
    'APIG.0308',
  ];
  expect(serverCodes.filter((c) => !KNOWN_ERROR_CODES.includes(c))).toEqual([]);
  inChinese();
  for (const code of serverCodes) {
    const p = errorParts(new ApiError({ status: 400, code, message: 'english words' }));
    expect(p.asSent, code).toBe(false);
    expect(p.text, code).not.toMatch(/english/);
    expect(p.text, code).toMatch(/[\u4e00-\u9fff]/);
  }
});
