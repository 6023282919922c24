import type { Translation } from '../../../messages';
import type { pairs as en } from '../../en/features/pairs';

const sideWord = (side: 'subject' | 'related') => (side === 'subject' ? '主对象' : '关联对象');

export const pairs: Translation<typeof en> = {
  'pairs.count': ({ count }, f) => `${f.number(count)} 对`,
  'pairs.tooMany': ({ count, max }, f) =>
    `配对过多：${f.number(count)} 对（一个批次最多 ${f.number(max)} 对）。`,
  'pairs.tooManySubjects': ({ count, max }, f) =>
    `主对象过多：${f.number(count)} 个（一个配对批次最多 ${f.number(max)} 个），请拆分文件。`,
  'pairs.empty': '请粘贴配对或选择配对文件：每行一个主对象 ID 和一个关联对象 ID。',
  'pairs.fileUnreadable': ({ error }) => `无法读取文件：${error}`,
  'pairs.formName': '配对表单',
  'pairs.subjectClass': '主对象类型',
  'pairs.relatedClass': '关联对象类型',
  'pairs.pairs': '配对',
  'pairs.pairsHint': '每行一个配对：主对象 ID，关联对象 ID（CSV 或制表符分隔；表头可选）',
  'pairs.file': '配对文件',
  'pairs.fileHint': 'CSV 或制表符分隔的文件；其内容会替换上方的配对',
  'pairs.summaryName': '配对摘要',
  'pairs.summary': ({ pairs, subjects, duplicates, invalid }, f) =>
    `配对 ${f.number(pairs)} 对 · 主对象 ${f.number(subjects)} 个 · 重复 ${f.number(duplicates)} 个 · 无效 ${f.number(invalid)} 个`,
  'pairs.headerSkipped': ({ names }) => ['首行已作为表头读取并跳过：', names],
  'pairs.headerColumns': ({ subject, related }) => [
    '（主对象：',
    subject,
    '，关联对象：',
    related,
    '）',
  ],
  'pairs.invalidLines': '无效行',
  'pairs.invalidHeading': '无效行（不会发送）',
  'pairs.line': ({ line }) => `第 ${line} 行：`,
  'pairs.moreInvalid': ({ count }, f) => `另有 ${f.number(count)} 行`,
  'pairs.reasonNoColumns': '一个配对需要一个主对象 ID 和一个关联对象 ID',
  'pairs.reasonCellCount': ({ cells, expected }) =>
    `此行有 ${cells} 个单元格，表头有 ${expected} 个；未读取`,
  'pairs.reasonMissingId': ({ side }) => `缺少${sideWord(side)} ID`,
  'pairs.reasonMalformedId': ({ side, value }) => [
    `${sideWord(side)} ID“`,
    value,
    '”必须由 32 到 64 个字母、数字、“-”或“_”组成',
  ],
  'pairs.reasonMalformedUuid': ({ side, value, uuid }) => [
    `${sideWord(side)} ID“`,
    value,
    '”：',
    uuid,
  ],
  'pairs.reasonSameObject': '主对象与关联对象是同一个对象',
  'pairs.action': '操作',
  'pairs.notCreated': '未能创建批次',
  'pairs.confirmTitle': '取消关联？',
  'pairs.confirmText': ({ pairs, what, subjects, workspace }) => [
    '将在工作空间 ',
    workspace,
    ` 中取消 ${pairs}关联：${what}与 ${subjects}之间的关联。`,
  ],
};
