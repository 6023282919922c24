import type { Translation } from '../../../messages';
import type { shell as en } from '../../en/core/shell';

export const shell: Translation<typeof en> = {
  'shell.appTitle': 'SecMaster 关联控制台',
  'shell.switchTheme': ({ to }) => (to === 'dark' ? '切换到深色主题' : '切换到浅色主题'),
  'shell.emulator': '模拟器',
  'shell.secmasterAt': ({ where }) => `SecMaster ${where}`,
  'shell.projectIdTitle': '项目 ID',
  'shell.project': ({ id }) => `项目 ${id}`,
  'shell.menu': '菜单',
  'shell.workspace': '工作空间',
  'shell.loading': '正在加载…',
  'shell.chooseWorkspace': '选择工作空间',
  'shell.language': '语言',
  'shell.mainNav': '主导航',
  'shell.navAssociate': '关联',
  'shell.navHistory': '历史',
  'shell.navPairs': '配对文件',
  'shell.loadingConsole': '正在加载控制台',
  'shell.serverUnreachable': '无法连接控制台服务器',
  'shell.loadingSignIn': '正在加载登录表单',
  'shell.loadingHistory': '正在加载历史',
  'shell.loadingObject': '正在加载对象',
};
