import type { Translation } from '../../../messages';
import type { running as en } from '../../en/core/running';

export const running: Translation<typeof en> = {
  'running.button': ({ words }) => ['运行中', words],
  'running.buttonWords': '的批次',
  'running.loadingList': '正在加载运行中的批次',
  'running.pairCount': ({ count }, f) => `${f.number(count)} 个配对`,
  'running.tabTitle': ({ percent, title }) => `${percent}% · ${title}`,
  'running.batchesRunning': ({ count }, f) => `${f.number(count)} 个批次正在运行`,
};
