/**
 * The neighbourhood of one object as a picture (the object page's Graph tab; the Links tab's tables
 * stay the primary, complete view). Default-exported so the app loads it with `lazy()`: xyflow
 * stays out of the first page's JavaScript.
 *
 * Keyboard: Tab (or the arrow keys) moves between nodes, Enter opens the focused object's page,
 * "+" or Space expands its links; each node is named "<Class> <title> (<severity>)".
 */
import '@xyflow/react/dist/style.css';
import { Alert, Button, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Controls,
  Panel,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  ViewportPortal,
  type Node,
  type NodeProps,
} from '@xyflow/react';
import {
  memo,
  startTransition,
  useCallback,
  useDeferredValue,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type MouseEvent,
} from 'react';
import { consoleQueries } from '../../api/console-queries';
import { dataclassTypes, type DataclassType, type SearchResponse } from '../../api/schemas';
import { secmasterQueries } from '../../api/secmaster-queries';
import { useI18n, useT, type Translate } from '../../i18n/i18n';
import { ErrorText } from '../../lib/error-text';
import { SeverityText } from '../../lib/secmaster-values';
import { classColours, severityBadgeStyle, severityColours } from './graph-colours';
import {
  buildGraph,
  classLabel,
  graphObject,
  GRAPH_NODE_CAP,
  NODE_HEIGHT,
  NODE_WIDTH,
  nodeName,
  objectKey,
  type Expansion,
  type GraphEdge,
  type GraphNode,
  type GraphObject,
  type LinksRead,
} from './graph-model';
import { linksQueries, type GraphScope } from './queries';
import classes from './relation-graph.module.css';

export interface RelationGraphProps {
  workspaceId: string;
  dataclass: DataclassType;
  objectId: string;
  /** Opens an object's page (Enter on a node, or a click). */
  onOpen: (dataclass: DataclassType, id: string) => void;
  /** Most nodes drawn (GRAPH_NODE_CAP unless told). */
  maxNodes?: number;
}

type ExpandState = 'expandable' | 'loading' | 'expanded' | 'failed';

interface ObjectNodeData extends Record<string, unknown> {
  object: GraphNode;
  state: ExpandState;
  onExpand: (object: GraphNode, state: ExpandState) => void;
}

type ObjectFlowNode = Node<ObjectNodeData, 'object'>;

const ObjectNode = memo(function ObjectNode({ data }: NodeProps<ObjectFlowNode>) {
  const t = useT();
  const { object, state, onExpand } = data;
  const colours = classColours[object.dataclass];
  return (
    <div
      className={`${classes.node} ${object.depth === 0 ? classes.subject : ''}`}
      style={{ background: colours.tint, borderColor: colours.border }}
    >
      <div className={classes.nodeHead}>
        <span className={classes.classLabel} style={{ color: colours.border }}>
          {classLabel(object.dataclass)}
        </span>
        <SeverityBadge severity={object.severity} />
        {state === 'expandable' || state === 'failed' ? (
          <button
            type="button"
            className={`${classes.expand} nodrag nopan`}
            aria-label={t('graph.expandNamed', { title: object.title })}
            onClick={(e: MouseEvent<HTMLButtonElement>) => {
              e.stopPropagation();
              // The button goes once the links are read: keep the focus on its node.
              e.currentTarget.closest<HTMLElement>('.react-flow__node')?.focus();
              onExpand(object, state);
            }}
          >
            {t('graph.expand')}
          </button>
        ) : null}
        {state === 'loading' ? (
          // Static text, not a spinning Loader: an animation among 200 positioned nodes makes
          // Chromium re-layerize the whole graph (a 100-250 ms task) on every read.
          <span
            className={classes.reading}
            role="status"
            aria-label={t('graph.readingLinksOf', { title: object.title })}
          >
            {t('graph.reading')}
          </span>
        ) : null}
      </div>
      <div className={classes.title} title={object.title} translate="no">
        {object.title}
      </div>
    </div>
  );
});

/**
 * A severity badge: a severity SecMaster defines in the console's language ("高危"), another one as
 * it is (data, not translated), or "no severity".
 */
function SeverityBadge({ severity }: { severity: string | null }) {
  const t = useT();
  return (
    <span className={classes.badge} style={severityBadgeStyle(severity)}>
      {severity === null ? t('graph.noSeverity') : <SeverityText value={severity} />}
    </span>
  );
}

const nodeTypes = { object: ObjectNode };

/**
 * The links, drawn as one SVG path of straight lines between node centres, under the nodes and
 * hidden from assistive technology (the nodes are named; the Links tab's tables list the links).
 * Not xyflow's edges: those are an <svg>, a store subscription and a measured pair of handles
 * each, and 250 of them made every update of the graph a long task.
 */
const GraphLines = memo(function GraphLines({ path }: { path: string }) {
  return (
    <svg className={classes.lines} aria-hidden focusable="false">
      <path d={path} />
    </svg>
  );
});

function linesPath(edges: readonly GraphEdge[], nodes: ReadonlyMap<string, GraphNode>): string {
  const centre = (n: GraphNode) => `${n.x + NODE_WIDTH / 2} ${n.y + NODE_HEIGHT / 2}`;
  const parts: string[] = [];
  for (const e of edges) {
    const [a, b] = [nodes.get(e.source), nodes.get(e.target)];
    if (a && b) parts.push(`M${centre(a)}L${centre(b)}`);
  }
  return parts.join('');
}

/**
 * Hands back the previous object of an ID while its content is the same (`same`), so unchanged
 * nodes keep their identity from one render to the next.
 */
class StableObjects<T extends { id: string }> {
  private last = new Map<string, T>();
  private lastList: T[] = [];

  /** The list, itself the previous one when nothing in it changed. */
  list(items: readonly T[], same: (previous: T, next: T) => boolean): T[] {
    const kept = new Map<string, T>();
    const out = items.map((item) => {
      const previous = this.last.get(item.id);
      const chosen = previous !== undefined && same(previous, item) ? previous : item;
      kept.set(item.id, chosen);
      return chosen;
    });
    this.last = kept;
    if (out.length !== this.lastList.length || out.some((o, i) => o !== this.lastList[i]))
      this.lastList = out;
    return this.lastList;
  }
}

function sameFlowNode(a: ObjectFlowNode, b: ObjectFlowNode): boolean {
  const [x, y] = [a.data.object, b.data.object];
  return (
    a.data.state === b.data.state &&
    a.data.onExpand === b.data.onExpand &&
    // The words of a node change with the language.
    a.ariaLabel === b.ariaLabel &&
    a.domAttributes?.['aria-roledescription'] === b.domAttributes?.['aria-roledescription'] &&
    x.key === y.key &&
    x.title === y.title &&
    x.severity === y.severity &&
    x.depth === y.depth &&
    x.x === y.x &&
    x.y === y.y
  );
}
const FIT_VIEW = { padding: 0.1 };
/** xyflow's attribution link is named in English ("React Flow attribution"): ours replaces it. */
const HIDE_XYFLOW_ATTRIBUTION = { hideAttribution: true };

/** The credit to the library that draws the graph, as xyflow shows it; its name is a name. It opens
 * in the same tab (a new one would be a change of context nobody was told of). */
function Attribution() {
  return (
    <Panel position="bottom-right" className="react-flow__attribution">
      <a href="https://reactflow.dev" rel="noreferrer" translate="no">
        React Flow
      </a>
    </Panel>
  );
}

/** xyflow's own words (the nodes' keyboard help, the zoom controls) in the console's language. */
function ariaLabels(t: Translate) {
  return {
    'node.a11yDescription.default': t('graph.nodeHelp'),
    'node.a11yDescription.keyboardDisabled': t('graph.nodeHelp'),
    'edge.a11yDescription.default': t('graph.edgeHelp'),
    'controls.ariaLabel': t('graph.controls'),
    'controls.zoomIn.ariaLabel': t('graph.zoomIn'),
    'controls.zoomOut.ariaLabel': t('graph.zoomOut'),
    'controls.fitView.ariaLabel': t('graph.fitView'),
  };
}

function toLinksRead(
  results: readonly { related: DataclassType; data: SearchResponse | undefined }[],
): LinksRead | undefined {
  if (results.some((r) => r.data === undefined)) return undefined;
  const read: LinksRead = {};
  for (const { related, data } of results) {
    const items = (data?.data ?? []).map((d) => graphObject(related, d));
    read[related] = { items, total: Math.max(items.length, data?.total ?? items.length) };
  }
  return read;
}

interface Expanded {
  key: string;
  dataclass: DataclassType;
  id: string;
}

function Graph({
  scope,
  subject,
  onOpen,
  cap,
}: {
  scope: GraphScope;
  subject: GraphObject;
  onOpen: RelationGraphProps['onOpen'];
  cap: number;
}) {
  const { t, language } = useI18n();
  const queryClient = useQueryClient();
  // The subject's links first, then each expanded node's, in the order they were asked for.
  const [asked, setAsked] = useState<Expanded[]>([]);
  const expansions: Expanded[] = useMemo(
    () => [{ key: subject.key, dataclass: subject.dataclass, id: subject.id }, ...asked],
    [subject, asked],
  );
  const plan = useMemo(
    () =>
      expansions.flatMap((e) =>
        linksQueries(scope, e.dataclass, e.id).map(({ related, query }) => ({ e, related, query })),
      ),
    [expansions, scope],
  );
  const reads = useQueries({
    queries: plan.map((p) => p.query),
    combine: (results) =>
      results.map((r) => ({ data: r.data, error: r.error, pending: r.isPending })),
  });

  const perExpansion = useMemo(() => {
    return expansions.map((e, i) => {
      const own = reads.slice(i * dataclassTypes.length, (i + 1) * dataclassTypes.length);
      const links = toLinksRead(own.map((r, j) => ({ related: dataclassTypes[j]!, data: r.data })));
      const error = own.find((r) => r.error)?.error ?? null;
      return { e, links, error, pending: own.some((r) => r.pending && !r.error) };
    });
  }, [expansions, reads]);

  const builtGraph = useMemo(
    () =>
      buildGraph(
        subject,
        perExpansion.map((x): Expansion => ({ key: x.e.key, links: x.links })),
        cap,
      ),
    [subject, perExpansion, cap],
  );
  // Redrawing 200 nodes is the heavy part: done in a transition, which React splits into short
  // tasks, so a read that lands never blocks the page for long.
  const graph = useDeferredValue(builtGraph);

  const stateOf = useMemo(() => {
    const states = new Map<string, ExpandState>();
    for (const x of perExpansion) {
      states.set(x.e.key, x.error ? 'failed' : x.links ? 'expanded' : 'loading');
    }
    return states;
  }, [perExpansion]);

  const nodesByKey = useMemo(() => new Map(graph.nodes.map((n) => [n.key, n])), [graph.nodes]);

  // Fit the view again whenever an expansion added nodes (xyflow fits once they are measured),
  // so the picture shows them all; a focused node is kept in view by xyflow's auto-pan.
  const { fitView } = useReactFlow();
  const fittedFor = useRef(graph.nodes.length);
  useEffect(() => {
    if (fittedFor.current === graph.nodes.length) return;
    fittedFor.current = graph.nodes.length;
    void fitView(FIT_VIEW);
  }, [graph.nodes.length, fitView]);

  const retry = useCallback(
    (e: Pick<Expanded, 'dataclass' | 'id'>) => {
      for (const { query } of linksQueries(scope, e.dataclass, e.id)) {
        void queryClient.refetchQueries({ queryKey: query.queryKey, exact: true });
      }
    },
    [queryClient, scope],
  );
  const expand = useCallback(
    (node: GraphNode, state: ExpandState) => {
      if (state === 'failed') {
        retry(node);
      } else if (state === 'expandable') {
        startTransition(() =>
          setAsked((prev) =>
            prev.some((e) => e.key === node.key)
              ? prev
              : [...prev, { key: node.key, dataclass: node.dataclass, id: node.id }],
          ),
        );
      }
    },
    [retry],
  );

  // Nodes whose content did not change keep their identity, so that xyflow and React
  // redraw only what an expansion changed (not all 200 nodes on every read that lands).
  const [nodeCache] = useState(() => new StableObjects<ObjectFlowNode>());
  const flowNodes: ObjectFlowNode[] = useMemo(
    () =>
      nodeCache.list(
        graph.nodes.map((n) => ({
          id: n.key,
          type: 'object',
          position: { x: n.x, y: n.y },
          data: { object: n, state: stateOf.get(n.key) ?? 'expandable', onExpand: expand },
          ariaLabel: nodeName(n),
          // xyflow's own role description is the English word "node".
          domAttributes: { 'aria-roledescription': t('graph.nodeRole') },
          width: NODE_WIDTH,
          height: NODE_HEIGHT,
          draggable: false,
          selectable: false,
          connectable: false,
          focusable: true,
        })),
        sameFlowNode,
      ),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the names (nodeName) are in `language`
    [nodeCache, graph.nodes, stateOf, expand, language],
  );
  // eslint-disable-next-line react-hooks/exhaustive-deps -- a new language, new words
  const ariaLabelConfig = useMemo(() => ariaLabels(t), [t, language]);
  const lines = useMemo(() => linesPath(graph.edges, nodesByKey), [graph.edges, nodesByKey]);

  // One click handler for the graph's life: a new one would redraw all 200 nodes (xyflow hands it
  // to each node) on every read that lands.
  const openRef = useRef(onOpen);
  useEffect(() => {
    openRef.current = onOpen;
  }, [onOpen]);
  const onNodeClick = useCallback(
    (_: unknown, node: ObjectFlowNode) =>
      openRef.current(node.data.object.dataclass, node.data.object.id),
    [],
  );

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const target = event.target as HTMLElement;
    if (!target.classList.contains('react-flow__node')) return;
    const key = target.getAttribute('data-id');
    const node = key === null ? undefined : nodesByKey.get(key);
    if (!node) return;
    if (event.key === 'Enter') {
      event.preventDefault();
      onOpen(node.dataclass, node.id);
    } else if (event.key === '+' || event.key === ' ') {
      event.preventDefault();
      expand(node, stateOf.get(node.key) ?? 'expandable');
    } else if (
      ['ArrowRight', 'ArrowDown', 'ArrowLeft', 'ArrowUp', 'Home', 'End'].includes(event.key)
    ) {
      const all = [...event.currentTarget.querySelectorAll<HTMLElement>('.react-flow__node')];
      const at = all.indexOf(target);
      const next =
        event.key === 'Home'
          ? 0
          : event.key === 'End'
            ? all.length - 1
            : event.key === 'ArrowRight' || event.key === 'ArrowDown'
              ? Math.min(all.length - 1, at + 1)
              : Math.max(0, at - 1);
      event.preventDefault();
      all[next]?.focus();
    }
  };

  const failures = perExpansion.filter((x) => x.error);
  // The canvas waits for the object's own links, so its first fit frames them all.
  const rootSettled = perExpansion[0]?.links !== undefined || perExpansion[0]?.error != null;

  return (
    <Stack gap="xs">
      <Legend />
      <Text size="sm" role="status">
        {!rootSettled
          ? t('graph.readingLinks')
          : t('graph.showing', { count: graph.nodes.length, more: graph.more, cap })}
      </Text>
      {failures.map((x) => {
        const title = nodesByKey.get(x.e.key)?.title ?? x.e.id;
        return (
          <Alert
            key={x.e.key}
            color="red"
            title={t('graph.linksError', {
              title: (
                <span key="title" translate="no">
                  {title}
                </span>
              ),
            })}
          >
            <Group gap="sm">
              <Text size="sm">
                <ErrorText error={x.error} />
              </Text>
              <Button size="xs" variant="default" onClick={() => retry(x.e)}>
                {t('graph.tryAgain')}
              </Button>
            </Group>
          </Alert>
        );
      })}
      <div className={classes.canvas} onKeyDown={onKeyDown}>
        {rootSettled ? (
          <ReactFlow
            nodes={flowNodes}
            nodeTypes={nodeTypes}
            onNodeClick={onNodeClick}
            nodesDraggable={false}
            nodesConnectable={false}
            elementsSelectable={false}
            nodesFocusable
            fitView
            fitViewOptions={FIT_VIEW}
            minZoom={0.05}
            maxZoom={2}
            ariaLabelConfig={ariaLabelConfig}
            proOptions={HIDE_XYFLOW_ATTRIBUTION}
          >
            <Attribution />
            <ViewportPortal>
              <GraphLines path={lines} />
            </ViewportPortal>
            <Controls showInteractive={false} />
          </ReactFlow>
        ) : (
          <Loader size="sm" m="md" aria-hidden />
        )}
      </div>
    </Stack>
  );
}

function Legend() {
  const t = useT();
  const id = useId();
  return (
    <Group gap="lg" align="flex-start">
      <div>
        <Title order={3} size="h6" id={`${id}-classes`}>
          {t('graph.legendClass')}
        </Title>
        <ul className={classes.legend} aria-labelledby={`${id}-classes`}>
          {dataclassTypes.map((c) => (
            <li key={c}>
              <span
                className={classes.swatch}
                style={{ background: classColours[c].tint, borderColor: classColours[c].border }}
                aria-hidden
              />
              {classLabel(c)}
            </li>
          ))}
        </ul>
      </div>
      <div>
        <Title order={3} size="h6" id={`${id}-severities`}>
          {t('graph.legendSeverity')}
        </Title>
        <ul className={classes.legend} aria-labelledby={`${id}-severities`}>
          {[...Object.keys(severityColours), null].map((s) => (
            <li key={s ?? ''}>
              <SeverityBadge severity={s} />
            </li>
          ))}
        </ul>
      </div>
    </Group>
  );
}

/** The object and its direct links, in a region "Relation graph". */
export default function RelationGraph({
  workspaceId,
  dataclass,
  objectId,
  onOpen,
  maxNodes = GRAPH_NODE_CAP,
}: RelationGraphProps) {
  const t = useT();
  const config = useQuery(consoleQueries.config());
  const projectId = config.data?.projectId;
  const object = useQuery({
    ...secmasterQueries.object(projectId ?? '', workspaceId, dataclass, objectId),
    enabled: projectId !== undefined,
  });
  const scope = useMemo(
    () => (projectId === undefined ? undefined : { projectId, workspaceId }),
    [projectId, workspaceId],
  );
  const subject = useMemo((): GraphObject | undefined => {
    if (object.data) return graphObject(dataclass, object.data.data);
    if (object.isError)
      return {
        key: objectKey(dataclass, objectId),
        dataclass,
        id: objectId,
        title: objectId,
        severity: null,
      };
    return undefined;
  }, [object.data, object.isError, dataclass, objectId]);

  let body;
  if (config.isError) {
    body = (
      <Alert color="red" title={t('graph.configError')}>
        <ErrorText error={config.error} />
      </Alert>
    );
  } else if (!scope || !subject) {
    body = <Loader size="sm" role="status" aria-label={t('graph.loading')} />;
  } else {
    body = (
      <>
        {object.isError ? (
          <Alert color="red" title={t('graph.objectError')}>
            <ErrorText error={object.error} />
          </Alert>
        ) : null}
        <ReactFlowProvider>
          <Graph key={subject.key} scope={scope} subject={subject} onOpen={onOpen} cap={maxNodes} />
        </ReactFlowProvider>
      </>
    );
  }
  return (
    <section aria-label={t('graph.region')}>
      <Stack gap="xs">{body}</Stack>
    </section>
  );
}
