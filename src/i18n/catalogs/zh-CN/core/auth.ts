import { createElement } from 'react';
import type { Translation } from '../../../messages';
import type { auth as en } from '../../en/core/auth';

/** A region code inside a Chinese sentence: data, left untranslated. */
const code = (text: string) => createElement('span', { translate: 'no', key: 'code' }, text);

export const auth: Translation<typeof en> = {
  'auth.signIn': '登录',
  'auth.intro': '本控制台代表您操作 SecMaster。请登录后继续。',
  'auth.noMethodTitle': '无法登录',
  'auth.noMethod': '控制台服务器要求登录，但未提供任何登录方式。请联系控制台的管理员检查其配置。',
  'auth.methodAccessToken': '访问令牌',
  'auth.methodIam': 'IAM 用户',
  'auth.panelAccessToken': '使用令牌登录',
  'auth.panelIam': '以 IAM 用户身份登录',
  'auth.showCharacters': '显示输入的字符',
  'auth.accessToken': '访问令牌',
  'auth.accessTokenHelp': '控制台的访问令牌，请向控制台的管理员获取。',
  'auth.account': '账号',
  'auth.accountHelp': 'IAM 用户所属的华为云账号（租户）。',
  'auth.userName': '用户名',
  'auth.password': '密码',
  'auth.region': '区域',
  'auth.regionHelp': ({ example }) => ['该账号的 SecMaster 所在区域，例如 ', code(example), '。'],
  'auth.enterToken': '请输入访问令牌',
  'auth.enterUser': '请输入 IAM 用户名',
  'auth.enterPassword': '请输入密码',
  'auth.enterAccount': '请输入账号名',
  'auth.atMost64': '最多 64 个字符',
  'auth.regionFormat': ({ example }) => ['区域的格式形如 ', code(example)],
  'auth.failed': '登录失败',
  'auth.tooManyAttempts': '登录尝试次数过多。请等待一分钟后重试。',
  'auth.signedInAs': '当前登录用户',
  'auth.signOut': '退出登录',
  'auth.signOutFailed': ({ reason }) => ['退出登录失败：', reason],
  'auth.endingSoon': ({ time }) =>
    `您的 SecMaster 会话将于 ${time} 结束，请重新登录以使批次继续运行`,
  'auth.endingSoonTitle': '会话即将结束',
};
