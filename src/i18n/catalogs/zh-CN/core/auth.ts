import type { Translation } from '../../../messages';
import type { auth as en } from '../../en/core/auth';

export const auth: Translation<typeof en> = {
  'auth.signedInAs': '当前登录用户',
  'auth.signOut': '退出登录',
  'auth.signOutFailed': ({ reason }) => ['退出登录失败：', reason],
  'auth.endingSoon': ({ time }) =>
    `您的 SecMaster 会话将于 ${time} 结束，请重新登录以使批次继续运行`,
  'auth.endingSoonTitle': '会话即将结束',
};
