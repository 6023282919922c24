import type { Translation } from '../../../messages';
import type { graph as en } from '../../en/features/graph';

export const graph: Translation<typeof en> = {
  'graph.region': '关系图',
  'graph.nodeName': ({ cls, title, severity }) => `${cls} ${title}（${severity}）`,
  'graph.nodeRole': '节点',
  'graph.noSeverity': '无严重程度',
  'graph.expand': '展开',
  'graph.expandNamed': ({ title }) => `展开 ${title}`,
  'graph.reading': '正在读取…',
  'graph.readingLinksOf': ({ title }) => `正在读取 ${title} 的关联`,
  'graph.nodeHelp': '按 Enter 打开此对象，按 + 或空格键显示其关联，按方向键移到其他对象。',
  'graph.edgeHelp': '按 Enter 或空格键选择一条连线，然后可按删除键删除，或按 Esc 取消。',
  'graph.controls': '关系图视图控制',
  'graph.zoomIn': '放大',
  'graph.zoomOut': '缩小',
  'graph.fitView': '缩放关系图以适应视图',
  'graph.readingLinks': '正在读取关联…',
  'graph.showing': ({ count, more, cap }, f) =>
    `显示 ${f.number(count)} 个对象${
      more > 0 ? `，另有 ${f.number(more)} 个未绘制（一次最多 ${f.number(cap)} 个）` : ''
    }。`,
  'graph.linksError': ({ title }) => ['无法读取 ', title, ' 的关联'],
  'graph.tryAgain': '重试',
  'graph.legendClass': '对象类型',
  'graph.legendSeverity': '严重程度',
  'graph.configError': '无法读取控制台设置',
  'graph.loading': '正在加载关系图',
  'graph.objectError': '无法读取此对象',
};
