/**
 * The relation graph's model, pure: which objects are drawn (the subject, then the links of each
 * expanded object, in the order they were expanded, up to a cap), the edges between them, how many
 * more were left out, and where each node sits. Everything is derived from the reads, so the same
 * reads always give the same picture, and a node keeps its place when another one is expanded.
 */
import { t } from '../../i18n/i18n';
import { inertText } from '../../api/format';
import { dataclassSingular, severityWord } from '../../lib/words';
import {
  dataclassTypes,
  idKey,
  type DataObjectDetail,
  type DataclassType,
} from '../../api/schemas';

/** Most nodes drawn at once (the subject included). */
export const GRAPH_NODE_CAP = 200;

export interface GraphObject {
  /** `class:id` (UUIDs in lower case): one node per object. */
  key: string;
  dataclass: DataclassType;
  id: string;
  title: string;
  severity: string | null;
}

export interface GraphNode extends GraphObject {
  /** 0 for the subject, 1 for its links, 2 for the links of an expanded link… */
  depth: number;
  /** Its place among the non-subject nodes of its class (drawn in that order). */
  slot: number;
  x: number;
  y: number;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
}

/** One object's links, as read: the first page of each class and each class's total. */
export type LinksRead = Partial<Record<DataclassType, { items: GraphObject[]; total: number }>>;

export interface Expansion {
  key: string;
  /** Undefined while the reads are pending. */
  links: LinksRead | undefined;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Linked objects known to exist that are not drawn (over the cap, or past the read page). */
  more: number;
}

export function objectKey(dataclass: DataclassType, id: string): string {
  return `${dataclass}:${idKey(id)}`;
}

/** Alert, Incident, Indicator (告警, 事件, 情报). */
export function classLabel(dataclass: DataclassType): string {
  const singular = dataclassSingular(dataclass);
  return singular.charAt(0).toUpperCase() + singular.slice(1);
}

/**
 * The node's accessible name, in the console's language: "<Class> <title> (<severity>)", a severity
 * SecMaster defines worded in that language ("高危"), another one as it is.
 */
export function nodeName(o: Pick<GraphObject, 'dataclass' | 'title' | 'severity'>): string {
  return t('graph.nodeName', {
    cls: classLabel(o.dataclass),
    title: o.title,
    severity: o.severity === null ? t('graph.noSeverity') : severityWord(o.severity),
  });
}

/** What a read of SecMaster says about one object. */
export function graphObject(dataclass: DataclassType, detail: DataObjectDetail): GraphObject {
  const o = detail.data_object;
  const id = o.id || detail.id;
  const title = inertText(o.title ?? detail.name ?? o.name ?? o.value ?? id);
  return {
    key: objectKey(dataclass, id),
    dataclass,
    id,
    title: title.trim() === '' ? id : title,
    severity: o.severity ? inertText(o.severity) : null,
  };
}

// ---------------------------------------------------------------------------
// Layout: the subject in the middle, each class in its own third of a circle, nodes filling
// rings from the inside out (the first slots of a ring nearest the middle of its sector).
// ---------------------------------------------------------------------------

export const NODE_WIDTH = 180;
export const NODE_HEIGHT = 64;
const FIRST_RADIUS = 280;
/**
 * Two node centres at least this far apart never overlap (the diagonal of a node is 191 px): rings
 * are this far apart, and so are neighbours on a ring and the ends of two sectors.
 */
const RING_GAP = 210;
const SPACING = 210;
const SECTOR = (2 * Math.PI) / dataclassTypes.length;

/**
 * Slots on a ring of one sector: an odd number, spread around the sector's middle one step
 * apart, leaving at least a step to the next sector.
 */
function ringCapacity(ring: number): number {
  const steps = (SECTOR * (FIRST_RADIUS + ring * RING_GAP)) / SPACING;
  return 2 * Math.max(0, Math.floor((steps - 1) / 2)) + 1;
}

/** The top-left corner of the `slot`-th node of a class (the subject's is at slot -1). */
export function slotPosition(dataclass: DataclassType, slot: number): { x: number; y: number } {
  if (slot < 0) return { x: -NODE_WIDTH / 2, y: -NODE_HEIGHT / 2 };
  let ring = 0;
  let index = slot;
  while (index >= ringCapacity(ring)) {
    index -= ringCapacity(ring);
    ring += 1;
  }
  const radius = FIRST_RADIUS + ring * RING_GAP;
  const step = SPACING / radius;
  // 0, +1, -1, +2, -2…: the ring fills outwards from its sector's middle.
  const offset = index === 0 ? 0 : Math.ceil(index / 2) * (index % 2 === 1 ? 1 : -1);
  // Alerts up, incidents lower right, indicators lower left.
  const middle = -Math.PI / 2 + dataclassTypes.indexOf(dataclass) * SECTOR;
  const angle = middle + offset * step;
  return {
    x: Math.round(radius * Math.cos(angle) - NODE_WIDTH / 2),
    y: Math.round(radius * Math.sin(angle) - NODE_HEIGHT / 2),
  };
}

/** Each class's items taken in turn (a1, i1, n1, a2, …), so a cap keeps every class in view. */
function interleave(links: LinksRead): GraphObject[] {
  const lists = dataclassTypes.map((c) => links[c]?.items ?? []);
  const out: GraphObject[] = [];
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let i = 0; i < longest; i++) {
    for (const list of lists) {
      const item = list[i];
      if (item) out.push(item);
    }
  }
  return out;
}

/**
 * The graph drawn from the subject and the expansions, in order (the subject's own links are the
 * first expansion). An expanded object that is not drawn adds nothing.
 */
export function buildGraph(
  subject: GraphObject,
  expansions: readonly Expansion[],
  cap = GRAPH_NODE_CAP,
): Graph {
  const nodes = new Map<string, GraphNode>();
  const slots: Record<DataclassType, number> = { alerts: 0, incidents: 0, indicators: 0 };
  nodes.set(subject.key, {
    ...subject,
    depth: 0,
    slot: -1,
    ...slotPosition(subject.dataclass, -1),
  });
  const edges = new Map<string, GraphEdge>();
  const left = new Set<string>();
  let unread = 0;

  for (const { key, links } of expansions) {
    const from = nodes.get(key);
    if (!from || !links) continue;
    for (const c of dataclassTypes) {
      const read = links[c];
      if (read) unread += Math.max(0, read.total - read.items.length);
    }
    for (const item of interleave(links)) {
      if (item.key === from.key) continue;
      let node = nodes.get(item.key);
      if (!node) {
        if (nodes.size >= cap) {
          left.add(item.key);
          continue;
        }
        const slot = slots[item.dataclass]++;
        node = { ...item, depth: from.depth + 1, slot, ...slotPosition(item.dataclass, slot) };
        nodes.set(item.key, node);
        left.delete(item.key);
      }
      const [a, b] = [from.key, node.key].sort();
      const id = `${a}--${b}`;
      if (!edges.has(id)) edges.set(id, { id, source: from.key, target: node.key });
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()], more: left.size + unread };
}
