import { expect, test } from 'vitest';
import { corePart as zhCore } from '../i18n/catalogs/zh-CN/core';
import { setCatalog } from '../i18n/i18n';
import { itemMessage, itemMessageText } from './item-message';

/** The Chinese catalog (each test starts in English: src/testing/setup-i18n.ts). */
function inChinese() {
  setCatalog('zh-CN', zhCore);
}

/**
 * Items as the server records them: code and message (src/api/schemas.ts batchItemSchema), their
 * Chinese words, and whether the recorded message follows them as detail in Chinese (the words are
 * worded from the code and leave some of it out).
 */
const items: [code: string | null, message: string, chinese: string, detail?: true][] = [
  ['ALREADY_LINKED', 'already linked', '已关联'],
  ['NOT_LINKED', 'was not linked', '原本未关联'],
  ['APPLIED_EARLIER', 'confirmed by re-read', '已通过重新读取确认'],
  [null, 'confirmed by re-read', '已通过重新读取确认'],
  [
    'MAY_BE_APPLIED',
    'SecMaster answered HTTP 502; may have been applied: re-read before sending again',
    '可能已生效：再次发送前将重新读取',
    true,
  ],
  [
    'NOT_APPLIED',
    'not applied after 3 attempts (TIMEOUT; confirmed by re-read)',
    '尝试 3 次后仍未生效（已通过重新读取确认）',
    true,
  ],
  [
    'UNKNOWN_AFTER_RESTART',
    'outcome unknown: the server stopped while this call was in flight',
    '结果未知：调用进行中时服务器已停止',
  ],
  [
    'REJECTED',
    'SecMaster rejected this ID (no reason given)',
    'SecMaster 拒绝了此 ID（未给出原因）',
  ],
  ['REJECTED', 'exists; rejected by SecMaster', '对象存在，但被 SecMaster 拒绝'],
  ['WRONG_CLASS', 'is not an incident', '不是事件'],
  ['WRONG_CLASS', 'is not an alert', '不是告警'],
  ['NOT_FOUND', 'not found in this workspace', '在此工作空间中未找到'],
  [
    'TIMEOUT',
    'the call timed out after 30 s; outcome unknown',
    'SecMaster 未及时响应，结果未知',
    true,
  ],
  ['TIMEOUT', 'Outcome unknown — re-check', '结果未知，请重新检查'],
  ['NOT_REPORTED', 'not reported by SecMaster', 'SecMaster 未报告此 ID 的结果'],
  [
    'REPORTED_AS_BOTH',
    'reported as both succeeded and failed by SecMaster',
    'SecMaster 同时报告为成功和失败',
  ],
  ['CANCELLED', 'stopped by the user before it was sent', '发送前已被用户停止'],
  ['HTTP_400', 'SecMaster answered HTTP 400', 'SecMaster 返回 HTTP 400'],
  ['HTTP_400', 'Invalid parameter: limit', 'SecMaster 返回 HTTP 400', true],
  ['UPSTREAM_UNREACHABLE', 'connect ECONNREFUSED 127.0.0.1:8081', '无法连接 SecMaster', true],
  [
    'REJECTED',
    'not sent: SecMaster refused the read of the current links before writing (Access denied)',
    '未发送：写入前读取当前关联时被 SecMaster 拒绝',
    true,
  ],
  [
    null,
    'not a well-formed ID: 32 to 64 letters, digits, "-" or "_"',
    '不是格式正确的 ID：应为 32 到 64 个字母、数字、“-”或“_”',
  ],
  [null, 'not a UUID: "g" is not a hexadecimal digit', '不是 UUID：“g”不是十六进制数字'],
  [
    null,
    'subject: not a UUID: groups of 8-4-4-4-9 characters (a UUID has 8-4-4-4-12)',
    '主对象：不是 UUID：各段长度为 8-4-4-4-9（UUID 应为 8-4-4-4-12）',
  ],
  [
    null,
    'linked to the destination, but removing it from the source failed: not found in this workspace',
    '已关联到目标对象，但从源对象移除失败：在此工作空间中未找到',
  ],
];

test('in English a per-ID message reads as the server recorded it', () => {
  for (const [code, message] of items) {
    const m = itemMessage(code, message);
    expect(itemMessageText(m), `${code} ${message}`).toBe(message);
    expect(m.asSent).toBeNull();
    expect(m.detail).toBeNull();
  }
});

test('in Chinese a per-ID message is worded from its code (or the server’s fixed words)', () => {
  inChinese();
  for (const [code, message, chinese, detail] of items) {
    expect(itemMessage(code, message), `${code} ${message}`).toEqual({
      words: chinese,
      asSent: null,
      detail: detail ? message : null,
    });
  }
});

test('in Chinese the server’s detail follows the words in a line of text, after “原文：”', () => {
  inChinese();
  expect(
    itemMessageText(itemMessage('TIMEOUT', 'the call timed out after 30 s; outcome unknown')),
  ).toBe('SecMaster 未及时响应，结果未知 原文：the call timed out after 30 s; outcome unknown');
  expect(itemMessageText(itemMessage('ALREADY_LINKED', 'already linked'))).toBe('已关联');
});

test('SecMaster’s own codes and unknown texts are shown as sent, in both languages', () => {
  const own = { words: '', asSent: 'Object does not exist', detail: null };
  expect(itemMessage('SecMaster.00040001', 'Object does not exist')).toEqual(own);
  expect(itemMessage('LATE', 'Object does not exist')).toEqual(own);
  inChinese();
  expect(itemMessage('SecMaster.00040001', 'Object does not exist')).toEqual(own);
  expect(itemMessage(null, null)).toEqual({ words: '', asSent: null, detail: null });
  // A move's ID whose source removal failed for a reason SecMaster wrote: known words, then its own.
  expect(
    itemMessage(
      null,
      'linked to the destination, but removing it from the source failed: Quota exceeded',
    ),
  ).toEqual({
    words: '已关联到目标对象，但从源对象移除失败：',
    asSent: 'Quota exceeded',
    detail: null,
  });
});
