import { createElement } from 'react';
import type { Translation } from '../../../messages';
import type { signin as en } from '../../en/features/signin';

/** A region code inside a Chinese sentence: data, left untranslated. */
const code = (text: string) => createElement('span', { translate: 'no', key: 'code' }, text);

export const signin: Translation<typeof en> = {
  'signin.signIn': '登录',
  'signin.intro': '本控制台代表您操作 SecMaster。请登录后继续。',
  'signin.noMethodTitle': '无法登录',
  'signin.noMethod': '控制台服务器要求登录，但未提供任何登录方式。请联系控制台的管理员检查其配置。',
  'signin.methodAccessToken': '访问令牌',
  'signin.methodIam': 'IAM 用户',
  'signin.panelAccessToken': '使用令牌登录',
  'signin.panelIam': '以 IAM 用户身份登录',
  'signin.showCharacters': '显示输入的字符',
  'signin.accessToken': '访问令牌',
  'signin.accessTokenHelp': '控制台的访问令牌，请向控制台的管理员获取。',
  'signin.account': '账号',
  'signin.accountHelp': 'IAM 用户所属的华为云账号（租户）。',
  'signin.userName': '用户名',
  'signin.password': '密码',
  'signin.region': '区域',
  'signin.regionHelp': ({ example }) => ['该账号的 SecMaster 所在区域，例如 ', code(example), '。'],
  'signin.enterToken': '请输入访问令牌',
  'signin.enterUser': '请输入 IAM 用户名',
  'signin.enterPassword': '请输入密码',
  'signin.enterAccount': '请输入账号名',
  'signin.atMost64': '最多 64 个字符',
  'signin.regionFormat': ({ example }) => ['区域格式示例：', code(example)],
  'signin.failed': '登录失败',
  'signin.tooManyAttempts': '登录尝试次数过多。请等待一分钟后重试。',
};
