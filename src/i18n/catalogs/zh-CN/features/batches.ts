import type { Translation } from '../../../messages';
import type { batches as en } from '../../en/features/batches';

export const batches: Translation<typeof en> = {
  // 批次视图：标题与进度。
  'batches.isMove': '这是一次移动',
  'batches.openMove': '打开移动页面',
  'batches.progressStale': '进度已停止更新',
  'batches.credential': '凭证',
  'batches.credentialServerAksk': '服务器 AK/SK',
  'batches.credentialServerToken': '服务器 IAM 令牌',
  'batches.credentialSignIn': ({ user }) => [user, ' 的 IAM 登录'],
  'batches.partOf': '所属',
  'batches.groupLink': ({ id }) => ['批次组 ', id],
  'batches.retryMeta': '重试',
  'batches.retryOfLink': ({ id }) => ['重试自 ', id],
  'batches.subjectCopyLabel': '主对象',
  'batches.heading': ({ action, related, subject, name }) => [
    action,
    '：',
    `${related}与${subject} `,
    name,
  ],
  'batches.headingPairs': ({ action, related, subjects, note }, f) => [
    action,
    '：',
    `${related}与 ${f.number(subjects)} 个主对象 `,
    note,
  ],
  'batches.pairsNote': ({ malformed }, f) =>
    `（配对批次${malformed ? `；${f.number(malformed)} 个主对象格式错误` : ''}）`,
  'batches.stoppedNote': ({ count }, f) =>
    `停止时尚有 ${f.number(count)} 个 ID 未发送（已跳过）。“重试失败项”会将它们作为新批次发送；“复制已跳过的 ID”可复制它们。`,
  'batches.progressLabel': '批次进度',
  'batches.doneOfTotal': ({ done, total }, f) => `${f.number(done)} / ${f.number(total)} 个 ID`,
  'batches.measuringRate': '正在计算速率…',
  'batches.rate': ({ rate }) => `${rate} 个 ID/秒`,
  'batches.estimating': '正在估算剩余时间…',
  'batches.timeLeft': ({ seconds }, f) => `约剩 ${f.duration(seconds)}`,
  'batches.pace': ({ rate, limit }) =>
    limit === null
      ? `SecMaster 写入（所有批次）：${rate} 次调用/秒`
      : `SecMaster 写入（所有批次）：${rate} / ${limit} 次调用/秒`,

  // 结果：数量、筛选、表格。
  'batches.results': '批次结果',
  'batches.filterByState': '按状态筛选',
  'batches.countsPerState': '各状态数量',
  'batches.stateCount': ({ state, count }, f) => `${state}：${f.number(count)}`,
  'batches.unrecordedNote': ({ associate }) =>
    `此批次记录于控制台开始跟踪各批次变更之前：“成功”可能包含在此批次之前就${associate ? '已关联' : '未关联'}的 ID，且未统计“无变化”。`,
  'batches.itemsLoadFailed': '无法加载条目',
  'batches.noMatching': '没有匹配的 ID',
  'batches.matchingCount': ({ count }, f) => `匹配 ${f.number(count)} 个 ID`,
  'batches.idCount': ({ count }, f) => `${f.number(count)} 个 ID`,
  'batches.tableLabel': '批次条目',
  'batches.colSubject': '主对象',
  'batches.colId': 'ID',
  'batches.colTitle': '标题',
  'batches.colState': '状态',
  'batches.colCode': '代码',
  'batches.colMessage': '信息',
  'batches.colRequestId': '请求 ID',
  'batches.colAttempts': '尝试次数',
  'batches.loading': '正在加载…',
  'batches.noneMatchFilter': '没有符合此筛选条件的 ID。',
  'batches.noTitle': '无标题：在此工作空间中未找到',
  'batches.copyIdOf': ({ id }) => `复制 ID ${id}`,
  'batches.copy': '复制',
  'batches.copied': '已复制',
  'batches.copyFailed': '复制失败',

  // 结果操作。
  'batches.resultActions': '结果操作',
  'batches.copiedIds': ({ count }, f) => `已复制 ${f.number(count)} 个 ID`,
  'batches.retryFailed': '重试失败项',
  'batches.retryOfMoveTitle': ({ move }) =>
    `此批次是移动 ${move} 的一个阶段：请改为再次移动仍留在源对象的 ID`,
  'batches.finishFirst': '请先停止批次或等待其完成',
  'batches.retryInterruptedTitle': '此批次已中断：请改为继续运行它（继续批次）',
  'batches.nothingToRetryTitle': '没有失败、未知或已跳过的 ID：无需重试',
  'batches.copyFailedIds': '复制失败的 ID',
  'batches.copySkippedIds': '复制已跳过的 ID',
  'batches.exportCsv': '导出 CSV',
  'batches.exportJson': '导出 JSON',
  'batches.undoBatch': '撤销批次',
  'batches.undoOfMoveTitle': ({ move }) => `此批次是移动 ${move} 的一个阶段：请改为撤销该移动`,
  'batches.alreadyUndoneTitle': ({ by }) => `已由批次 ${by} 撤销：一个批次只能撤销一次`,
  'batches.nothingToUndoTitle': '没有成功的 ID：无可撤销',
  'batches.phaseOfMove': ({ link }) => [
    '此批次是',
    link,
    '的一个阶段：不能单独重试或撤销。请撤销该移动，或再次移动仍留在源对象的 ID。',
  ],
  'batches.moveLink': ({ id }) => ['移动 ', id],
  'batches.actionFailed': '操作失败',

  // 控制。
  'batches.controls': '批次控制',
  'batches.pause': '暂停批次',
  'batches.resume': '继续批次',
  'batches.stop': '停止批次',
  'batches.controlFailed': '无法更改批次',
  'batches.stopTitle': '停止此批次？',
  'batches.confirmStop': '确认停止',
  'batches.stopFailed': '无法停止批次',
  'batches.stopBody': ({ unsent }, f) =>
    `${unsent > 0 ? `尚未发送的 ${f.number(unsent)} 个 ID 将标记为“已跳过”。` : '没有等待发送的 ID。'}已发出的调用会完成并记录结果。已停止的批次无法继续：之后可用“重试失败项”将其已跳过的 ID（连同失败和未知的 ID）作为新批次发送。`,

  // 关于一个批次的对话框。
  'batches.close': '关闭',
  'batches.subjectLine': ({ associate, related, subject, object, workspace }) =>
    associate
      ? [`将${related}关联到${subject} `, object, '（工作空间：', workspace, '）']
      : [`取消${related}与${subject} `, object, ' 的关联（工作空间：', workspace, '）'],
  'batches.subjectsCount': ({ count, plural }) => `${count} 个${plural}`,
  'batches.back': '返回',

  // 重试对话框。
  'batches.retryTitle': '重试失败的 ID',
  'batches.retryReading': '正在读取可重试的 ID…',
  'batches.retryPreviewFailed': '无法读取重试将包含的 ID',
  'batches.retryIncludes': ({ count }, f) => `重试包含 ${f.number(count)} 个 ID`,
  'batches.includedList': '重试包含的 ID',
  'batches.retryFailedItem': ({ count, related }, f) =>
    `${f.number(count)} 个因“未找到”或“不是${related}”以外的原因失败（重试时可能成功）`,
  'batches.retryUnknownItem': ({ count }, f) => `${f.number(count)} 个未知：结果始终未得到确认`,
  'batches.retrySkippedItem': ({ count }, f) => `${f.number(count)} 个已跳过：发送前批次已停止`,
  'batches.retryPermanentItem': ({ count }, f) => `${f.number(count)} 个永久失败（按要求包含）`,
  'batches.leavesOut': ({ count }, f) => `排除 ${f.number(count)} 个 ID`,
  'batches.leavesOutNothing': '未排除任何 ID',
  'batches.leavesOutNothingNoPermanent': '未排除任何 ID：没有永久失败',
  'batches.leftOutList': '重试排除的 ID',
  'batches.permanentLeftOut': ({ count, related }, f) =>
    `${f.number(count)} 个永久失败：在此工作空间中未找到，或不是${related}。除非此后对象已创建或更正，否则重试仍会失败。`,
  'batches.reReadingLeftOut': ({ count }, f) =>
    `${f.number(count)} 个未知：批次停止后仍在重新读取。待结果确定后再重试。`,
  'batches.includePermanent': '包含永久失败',
  'batches.retryExplain': ({ associate }) =>
    `在同一工作空间和主对象上新建一个批次，沿用此批次的原因。每次调用前，控制台会读取哪些 ID 已${associate ? '关联' : '未关联'}：这些 ID 记录为“无变化”，不会发送。此批次在历史中保持不变。`,
  'batches.nothingToRetryStatus': ({ permanent }) =>
    `无可重试的 ID${permanent ? '（除非包含永久失败）' : ''}。`,
  'batches.nothingToRetry': '无可重试的 ID',
  'batches.retryCreateFailed': '无法创建重试批次',
  'batches.retry': '重试',
  'batches.retryCount': ({ count }, f) => `重试 ${f.number(count)} 个 ID`,

  // 撤销对话框。
  'batches.undoTitle': '撤销此批次？',
  'batches.checkingLinks': '正在核对当前关联…',
  'batches.willBeReverted': ({ count, associate }, f) =>
    associate ? `将取消 ${f.number(count)} 个 ID 的关联` : `将关联 ${f.number(count)} 个 ID`,
  'batches.unchangedKept': ({ count, associate }, f) =>
    `${f.number(count)} 个 ID 在此批次之前就${associate ? '已关联' : '未关联'}（无变化）：撤销不会改变它们。`,
  'batches.predatesTitle': '此批次早于变更跟踪',
  'batches.predatesBody': ({ count, associate }, f) =>
    `此批次记录于控制台开始跟踪各批次变更之前：其 ${f.number(count)} 个成功的 ID ${
      associate
        ? '可能包含此批次之前就已存在的关联，撤销也会移除它们。'
        : '可能包含此批次之前就未关联的 ID，撤销也会关联它们。'
    }`,
  'batches.understand': '我已了解',
  'batches.undoExplain':
    '新建一个批次，对此批次更改过的 ID（成功）进行反向调用，工作空间和主对象不变。此批次在历史中保持不变。',
  'batches.linksCheckFailed': '无法核对当前关联',
  'batches.changedSince': ({ count }, f) => `${f.number(count)} 个 ID 自此批次以来已发生变化`,
  'batches.changedRemoved':
    '这些关联此后已被移除：撤销时会发现它们已取消关联，记录为“无变化”，不会发送：',
  'batches.changedRelinked':
    '这些关联此后已重新建立：撤销时会发现它们已关联，记录为“无变化”，不会发送：',
  'batches.changedIds': '已变化的 ID',
  'batches.andMore': ({ count }, f) => `还有 ${f.number(count)} 个`,
  'batches.checkedAt': ({ at }, f) => `核对于 ${f.dateTime(at)}`,
  'batches.confirmUndoNeeded': '服务器需要您确认此撤销',
  'batches.undoCreateFailed': '无法创建撤销批次',
  'batches.confirmUndo': '确认撤销',
};
