import type { Translation } from '../../../messages';
import type { relations as en } from '../../en/features/relations';

export const relations: Translation<typeof en> = {
  'relations.title': '当前关联',
  'relations.linkedTo': ({ plural, singular, id }) => [`已关联到${singular} `, id, ` 的${plural}`],
  'relations.inTotal': ({ count }, f) => ` · 共 ${f.number(count)} 个`,
  'relations.selectAll': ({ count }, f) => `全选 ${f.number(count)} 个`,
  'relations.cancelSelected': ({ count }, f) => `取消关联所选的 ${f.number(count)} 个`,
  'relations.moveSelected': '移动所选',
  'relations.clearSelection': '清除选择',
  'relations.allSelected': ({ count }, f) => `已选全部 ${f.number(count)} 个`,
  'relations.selected': ({ count }, f) => `已选 ${f.number(count)} 个`,
  'relations.atMostPerBatch': ({ max }, f) => `（每个批次最多 ${f.number(max)} 个）`,
  'relations.selectAllFailed': '无法选中所有已关联的对象',
  'relations.loadFailed': '无法加载当前关联',
  'relations.nothingLinked': ({ singular, plural }) => `此${singular}尚未关联任何${plural}。`,
  'relations.tableName': ({ plural }) => `已关联的${plural}`,
  'relations.selectPage': '选择本页',
  'relations.pages': '当前关联分页',
};
