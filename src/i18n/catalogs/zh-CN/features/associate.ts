import type { Translation } from '../../../messages';
import type { associate as en } from '../../en/features/associate';

export const associate: Translation<typeof en> = {
  // The form
  'associate.formName': '关联表单',
  'associate.subjectClass': '主对象类型',
  'associate.relatedClass': '关联对象类型',
  'associate.chooseSubjectError': '请选择主对象',
  'associate.reasonFieldTooLong': '最多 1000 个字符',
  'associate.action': '操作',
  'associate.destination': '目标对象',
  'associate.destinationCard': ({ singular }) => `目标${singular}`,
  'associate.destinationIsSubject': ({ singular }) =>
    `目标${singular}与主${singular}相同：请另选一个。`,
  'associate.batchNotCreated': '未能创建批次',
  'associate.moveNotCreated': '未能创建移动',
  'associate.submitAssociateWith': ({ what, singular, subject }) => [
    `将 ${what} 关联到${singular} `,
    subject,
  ],
  'associate.submitCancelWith': ({ what, singular, subject }) => [
    `取消 ${what} 与${singular} `,
    subject,
    ' 的关联',
  ],
  'associate.hintChooseSubject': '请选择主对象。',
  'associate.hintDestinationIsSubject': '目标对象与主对象相同：请另选一个。',
  'associate.hintChooseDestination': '请选择目标对象。',
  'associate.hintReading': '正在读取粘贴的 ID…',
  'associate.hintTooMany': ({ count, max }, f) =>
    `条目过多：${f.number(count)} 个（每个批次最多 ${f.number(max)} 个）。`,
  'associate.hintPasteOne': '请至少粘贴一个有效 ID。',
  // The link check
  'associate.checkLinks': '核对当前关联',
  'associate.restorePrevious': '恢复之前的列表',
  'associate.checkSummaryName': '关联核对摘要',
  'associate.keptNote': '列表现在只包含上次核对认定将发生变化的 ID。',
  'associate.checkOutdated': '自上次核对以来，列表或主对象已更改。',
  'associate.checkFailed': '核对失败',
  'associate.checkSummary': ({ linked, notLinked, notFound }, f) =>
    `已关联 ${f.number(linked)} 个 · 尚未关联 ${f.number(notLinked)} 个 · 未找到 ${f.number(notFound)} 个`,
  'associate.checkRegion': '关联核对',
  'associate.checkedAt': ({ at, linked, notLinked, notFound, action }, f) =>
    action === 'associate'
      ? `核对时间 ${at}：${f.number(linked)} 个已关联，无变化；${f.number(notLinked)} 个将被关联；${f.number(notFound)} 个将失败（未找到）。`
      : `核对时间 ${at}：${f.number(linked)} 个将被取消关联；${f.number(notLinked)} 个未关联，无变化；${f.number(notFound)} 个将失败（未找到）。`,
  'associate.keepNotLinked': ({ what }) => `仅保留尚未关联的 ${what}`,
  'associate.keepLinked': ({ what }) => `仅保留当前已关联的 ${what}`,
  'associate.alreadyLinked': '已关联',
  'associate.notFound': '未找到',
  // The cancel confirmation
  'associate.confirmTitle': '取消关联？',
  'associate.confirmBody': ({ singular, title, id, what, plural, workspace }) => [
    '将在工作空间 ',
    workspace,
    ` 中移除${singular} `,
    title,
    ' ',
    id,
    ` 与 ${what}（${plural}）之间的关联。`,
  ],
  'associate.confirmNote': ({ summary }) =>
    `${summary}。无效条目会记录在批次中，不会发送到 SecMaster。`,
  // The paste box and its summary
  'associate.relatedIds': '关联对象 ID',
  'associate.relatedIdsDescription':
    '可粘贴任意形式的 ID：每行一个、逗号分隔、CSV、JSON 或控制台 URL',
  'associate.openingEditor': ({ count }, f) => `正在为 ${f.number(count)} 个字符打开编辑器…`,
  'associate.pasteSummaryName': '粘贴摘要',
  'associate.pasteSummary': ({ valid, duplicates, invalid, ignored }, f) =>
    `有效 ${f.number(valid)} 个 · 重复 ${f.number(duplicates)} 个 · 无效 ${f.number(invalid)} 个` +
    (ignored > 0 ? ` · 已忽略 ${f.number(ignored)} 个` : ''),
  'associate.reading': '正在读取…',
  'associate.headerSkipped': '首行已作为表头读取并跳过：',
  'associate.skippedWords': ({ count }, f) => `${f.number(count)} 个文字词语`,
  'associate.skippedValues': ({ count }, f) => `${f.number(count)} 个其他 JSON 值`,
  'associate.skipped': ({ parts }, f) => `已跳过 ${f.list(parts)}`,
  'associate.invalid': '无效',
  'associate.ignored': '已忽略',
  'associate.readAs': ({ format, column, rows }, f) => [
    `按 ${format} 读取：${f.number(rows)} 行数据中的“`,
    column,
    '”列',
  ],
  'associate.otherColumnsSkipped': '；已跳过其他列：',
  'associate.idColumn': 'ID 列',
  'associate.idColumnDescription': '有多列包含 ID：请选择包含关联对象的那一列',
  'associate.columnN': ({ n }) => `第 ${n} 列`,
  'associate.sharedColumn': ({ name, n }) => [name, `（第 ${n} 列）`],
  'associate.lineN': ({ n }) => `第 ${n} 行`,
  // Why a token is invalid or ignored
  'associate.issueNotHexDigit': ({ char }) => `不是 UUID：“${char}”不是十六进制数字`,
  'associate.issueUuidGroups': ({ groups }) =>
    `不是 UUID：各段长度为 ${groups}（UUID 应为 8-4-4-4-12）`,
  'associate.issueShorterThan': ({ min }) => `少于 ${min} 个字符`,
  'associate.issueLongerThan': ({ max }) => `超过 ${max} 个字符`,
  'associate.issueTooLong': '过长',
  'associate.issueForbiddenCharacter': '含有字母、数字、“-”和“_”以外的字符',
  'associate.issueSubjectObject': '主对象',
  'associate.issueCurrentWorkspace': '当前工作空间 ID',
  'associate.issueProjectId': '项目 ID',
  'associate.issueNotRelated': ({ path }) => [path, '（不是关联对象）'],
  'associate.issueUnreadRow': ({ cells, headerCells }) =>
    `此行有 ${cells} 个单元格，表头有 ${headerCells} 个；未读取`,
  // Token lists
  'associate.copyIds': ({ title }) => `复制“${title}”的 ID`,
  'associate.copyFailed': '无法复制',
  'associate.andMore': ({ count }, f) => `还有 ${f.number(count)} 个`,
};
