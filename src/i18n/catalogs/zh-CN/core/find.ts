import type { Translation } from '../../../messages';
import type { find as en } from '../../en/core/find';

export const find: Translation<typeof en> = {
  'find.label': '查找对象',
  'find.placeholder': '查找对象（ID 或标题）',
  'find.searching': '正在搜索',
  'find.searchingNow': '正在搜索…',
  'find.objectsFound': '找到的对象',
  'find.noSuchId': '没有告警、事件或情报使用此 ID',
  'find.nothingMatches': ({ text }) => ['没有与“', text, '”匹配的对象'],
  'find.foundCount': ({ count }, f) => `找到 ${f.number(count)} 个对象`,
  'find.classFailed': ({ what, reason }) => [`无法搜索${what}：`, reason],
};
