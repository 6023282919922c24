import { configure, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import type { DataclassType } from '../../api/schemas';
import { server } from '../../testing/msw';
import { englishWordsIn, inChinese } from '../../testing/i18n';
import { render } from '../../testing/render';
import RelationGraph from './relation-graph';

const PROJECT = 'project0000000000000000000000001';
const WORKSPACE = 'ws000000000000000000000000000001';
const WS_PATH = `/v1/${PROJECT}/workspaces/${WORKSPACE}/soc`;

const idOf = (dataclass: DataclassType, n: number) =>
  `${dataclass.slice(0, 3)}${String(n).padStart(29, '0')}`;

function detail(dataclass: DataclassType, n: number, title: string, severity = 'High') {
  const id = idOf(dataclass, n);
  return { id, data_object: { id, title, severity } };
}

type Detail = ReturnType<typeof detail>;

// xyflow measures its nodes and viewport, which jsdom does not lay out (reactflow.dev's testing
// guide lists these stand-ins).
const saved: [object, string, PropertyDescriptor | undefined][] = [];
function stub(target: object, name: string, descriptor: PropertyDescriptor) {
  saved.push([target, name, Object.getOwnPropertyDescriptor(target, name)]);
  Object.defineProperty(target, name, { configurable: true, ...descriptor });
}
beforeAll(() => {
  // Drawing 200 nodes in jsdom takes a while on a busy machine.
  configure({ asyncUtilTimeout: 15_000 });
  // Reports each observed element once, all those observed in one task together (as a browser
  // does: one call for 200 new nodes, not 200 calls).
  class ResizeObserver {
    private pending: Element[] = [];
    constructor(private readonly callback: ResizeObserverCallback) {}
    observe(target: Element) {
      this.pending.push(target);
      if (this.pending.length === 1)
        queueMicrotask(() => {
          const targets = this.pending;
          this.pending = [];
          this.callback(
            targets.map((t) => ({ target: t }) as ResizeObserverEntry),
            this,
          );
        });
    }
    unobserve() {}
    disconnect() {
      this.pending = [];
    }
  }
  class DOMMatrixReadOnly {
    m22: number;
    constructor(transform: string) {
      const scale = /scale\(([\d.]+)\)/.exec(transform)?.[1];
      this.m22 = scale === undefined ? 1 : Number(scale);
    }
  }
  vi.stubGlobal('ResizeObserver', ResizeObserver);
  vi.stubGlobal('DOMMatrixReadOnly', DOMMatrixReadOnly);
  stub(HTMLElement.prototype, 'offsetHeight', {
    get(this: HTMLElement) {
      return Number.parseFloat(this.style.height) || 64;
    },
  });
  stub(HTMLElement.prototype, 'offsetWidth', {
    get(this: HTMLElement) {
      return Number.parseFloat(this.style.width) || 180;
    },
  });
  stub(SVGElement.prototype, 'getBBox', {
    value: () => ({ x: 0, y: 0, width: 0, height: 0 }),
  });
});
afterAll(() => {
  vi.unstubAllGlobals();
  for (const [target, name, descriptor] of saved.reverse()) {
    if (descriptor) Object.defineProperty(target, name, descriptor);
    else Reflect.deleteProperty(target, name);
  }
});

/**
 * Serves the config, one object, and its links (`links[class]`, paged by the body); any other
 * object's links are empty. Returns the relation searches asked, as "class/id/related".
 */
function serve(
  subject: Detail & { dataclass: DataclassType },
  links: Record<string, Partial<Record<DataclassType, Detail[]>>>,
) {
  const asked: string[] = [];
  server.use(
    http.get('/api/config', () =>
      HttpResponse.json({
        mode: 'emulator',
        projectId: PROJECT,
        endpoint: 'http://127.0.0.1:1',
        region: null,
        maxBatchIds: 100000,
        maxIdsPerCall: 100,
      }),
    ),
    http.get(`${WS_PATH}/:dataclass/:id`, () =>
      HttpResponse.json({ code: '00000000', data: subject }),
    ),
    http.post(`${WS_PATH}/:dataclass/:id/:related/search`, async ({ params, request }) => {
      const body = (await request.json()) as { limit: number; offset: number };
      const { dataclass, id, related } = params as {
        dataclass: string;
        id: string;
        related: string;
      };
      asked.push(`${dataclass}/${id}/${related}`);
      const all = links[id]?.[related as DataclassType] ?? [];
      return HttpResponse.json({
        code: '00000000',
        total: all.length,
        data: all.slice(body.offset, body.offset + body.limit),
      });
    }),
  );
  return asked;
}

const ALERT = {
  ...detail('alerts', 1, 'Brute force on bastion', 'High'),
  dataclass: 'alerts' as const,
};
const INCIDENT = detail('incidents', 1, 'Credential stuffing', 'Fatal');
const INDICATOR = detail('indicators', 1, '198.51.100.7', 'Low');

function renderGraph(onOpen = vi.fn()) {
  render(
    <RelationGraph
      workspaceId={WORKSPACE}
      dataclass="alerts"
      objectId={ALERT.id}
      onOpen={onOpen}
    />,
  );
  return onOpen;
}

test('draws the object and its links in a region, each node named class, title and severity', async () => {
  serve(ALERT, { [ALERT.id]: { incidents: [INCIDENT], indicators: [INDICATOR] } });
  renderGraph();
  const region = await screen.findByRole('region', { name: 'Relation graph' });
  const graph = within(region);
  expect(
    await graph.findByRole('group', { name: 'Incident Credential stuffing (Fatal)' }),
  ).toHaveAttribute('tabindex', '0');
  expect(
    graph.getByRole('group', { name: 'Alert Brute force on bastion (High)' }),
  ).toBeInTheDocument();
  expect(graph.getByRole('group', { name: 'Indicator 198.51.100.7 (Low)' })).toBeInTheDocument();
  expect(graph.getByRole('status', { name: '' })).toHaveTextContent('Showing 3 objects.');
  // The legend names every class and severity.
  const classes = graph.getByRole('list', { name: 'Class' });
  expect(
    within(classes)
      .getAllByRole('listitem')
      .map((li) => li.textContent),
  ).toEqual(['Alert', 'Incident', 'Indicator']);
});

test('Enter on a node opens that object; the arrow keys move between nodes', async () => {
  serve(ALERT, { [ALERT.id]: { incidents: [INCIDENT], indicators: [INDICATOR] } });
  const onOpen = renderGraph();
  const user = userEvent.setup();
  const subject = await screen.findByRole('group', { name: 'Alert Brute force on bastion (High)' });
  await screen.findByRole('group', { name: 'Incident Credential stuffing (Fatal)' });
  subject.focus();
  await user.keyboard('{ArrowRight}');
  expect(screen.getByRole('group', { name: 'Incident Credential stuffing (Fatal)' })).toHaveFocus();
  await user.keyboard('{Enter}');
  expect(onOpen).toHaveBeenCalledExactlyOnceWith('incidents', INCIDENT.id);
});

test("a node's Expand button adds its own links, once", async () => {
  const other = detail('alerts', 2, 'Impossible travel', 'Medium');
  const asked = serve(ALERT, {
    [ALERT.id]: { incidents: [INCIDENT] },
    [INCIDENT.id]: { alerts: [ALERT, other] },
  });
  renderGraph();
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: 'Expand Credential stuffing' }));
  expect(
    await screen.findByRole('group', { name: 'Alert Impossible travel (Medium)' }),
  ).toBeInTheDocument();
  expect(
    screen.queryByRole('button', { name: 'Expand Credential stuffing' }),
  ).not.toBeInTheDocument();
  // The focus stays on the node whose button went.
  expect(screen.getByRole('group', { name: 'Incident Credential stuffing (Fatal)' })).toHaveFocus();
  expect(screen.getByRole('status', { name: '' })).toHaveTextContent('Showing 3 objects.');
  expect(asked.filter((a) => a.startsWith(`incidents/${INCIDENT.id}/`)).sort()).toEqual([
    `incidents/${INCIDENT.id}/alerts`,
    `incidents/${INCIDENT.id}/incidents`,
    `incidents/${INCIDENT.id}/indicators`,
  ]);
});

test("while a node's links are read it says so in still text, not a spinner", async () => {
  serve(ALERT, { [ALERT.id]: { incidents: [INCIDENT] } });
  // The incident's own links answer only when let go.
  let letGo = () => {};
  const held = new Promise<void>((resolve) => (letGo = resolve));
  server.use(
    http.post(`${WS_PATH}/incidents/${INCIDENT.id}/:related/search`, async () => {
      await held;
      return HttpResponse.json({ code: '00000000', total: 0, data: [] });
    }),
  );
  renderGraph();
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: 'Expand Credential stuffing' }));
  const reading = await screen.findByRole('status', {
    name: 'Reading the links of Credential stuffing',
  });
  // An animation among the graph's nodes costs a long main-thread task on every frame it changes.
  expect(reading).toHaveTextContent('Reading…');
  expect(reading.children).toHaveLength(0);
  letGo();
  await waitFor(() =>
    expect(
      screen.queryByRole('status', { name: 'Reading the links of Credential stuffing' }),
    ).not.toBeInTheDocument(),
  );
});

test('a click on a node opens it through the latest onOpen the page gave', async () => {
  serve(ALERT, { [ALERT.id]: { incidents: [INCIDENT] } });
  const first = vi.fn();
  const latest = vi.fn();
  const props = { workspaceId: WORKSPACE, dataclass: 'alerts' as const, objectId: ALERT.id };
  const { rerender } = render(<RelationGraph {...props} onOpen={first} />);
  const node = await screen.findByRole('group', { name: 'Incident Credential stuffing (Fatal)' });
  rerender(<RelationGraph {...props} onOpen={latest} />);
  // A click alone: d3-zoom's mousedown handler needs a window jsdom's events lack.
  fireEvent.click(node);
  expect(latest).toHaveBeenCalledExactlyOnceWith('incidents', INCIDENT.id);
  expect(first).not.toHaveBeenCalled();
});

test('"+" on a focused node expands it too', async () => {
  const other = detail('indicators', 7, 'evil.example', 'Tips');
  serve(ALERT, { [ALERT.id]: { incidents: [INCIDENT] }, [INCIDENT.id]: { indicators: [other] } });
  renderGraph();
  const user = userEvent.setup();
  (await screen.findByRole('group', { name: 'Incident Credential stuffing (Fatal)' })).focus();
  await user.keyboard('+');
  expect(
    await screen.findByRole('group', { name: 'Indicator evil.example (Tips)' }),
  ).toBeInTheDocument();
});

test('draws at most the cap of nodes and says how many more there are', async () => {
  const alerts = Array.from({ length: 30 }, (_, i) => detail('alerts', i + 10, `Alert ${i}`));
  serve(ALERT, { [ALERT.id]: { alerts } });
  // The default cap is 200 (graph-model.test.ts); a small one keeps jsdom quick.
  render(
    <RelationGraph
      workspaceId={WORKSPACE}
      dataclass="alerts"
      objectId={ALERT.id}
      onOpen={vi.fn()}
      maxNodes={12}
    />,
  );
  expect(await screen.findByText(/^Showing 12 objects, and 19 more not drawn/)).toBeInTheDocument();
  const region = screen.getByRole('region', { name: 'Relation graph' });
  // xyflow draws the nodes a moment after the line above them changes.
  await waitFor(() => expect(region.querySelectorAll('.react-flow__node')).toHaveLength(12));
});

test('a failed read of the links says so and can be tried again', async () => {
  serve(ALERT, {});
  let fail = true;
  server.use(
    http.post(`${WS_PATH}/alerts/${ALERT.id}/incidents/search`, () =>
      fail
        ? HttpResponse.json({ code: 'SecMaster.500', message: 'upstream hiccup' }, { status: 500 })
        : HttpResponse.json({ code: '00000000', total: 1, data: [INCIDENT] }),
    ),
  );
  renderGraph();
  const user = userEvent.setup();
  expect(await screen.findByText('upstream hiccup')).toBeInTheDocument();
  fail = false;
  await user.click(screen.getByRole('button', { name: 'Try again' }));
  expect(
    await screen.findByRole('group', { name: 'Incident Credential stuffing (Fatal)' }),
  ).toBeInTheDocument();
  await waitFor(() => expect(screen.queryByText('upstream hiccup')).not.toBeInTheDocument());
});

test('in Chinese the graph, its legend, its nodes and its controls read in Chinese', async () => {
  inChinese();
  // Titles in Chinese: a node's name holds its title, which no mark can exempt. Its severity is
  // one of SecMaster's, worded in Chinese.
  const subject = { ...detail('alerts', 1, '堡垒机暴力破解', ''), dataclass: 'alerts' as const };
  serve(subject, { [subject.id]: { incidents: [detail('incidents', 1, '撞库攻击', 'High')] } });
  renderGraph();
  const region = await screen.findByRole('region', { name: '关系图' });
  const graph = within(region);
  expect(await graph.findByRole('group', { name: '事件 撞库攻击（高危）' })).toBeInTheDocument();
  // A node's role is read after its name: in Chinese too (xyflow's own word is "node").
  expect(graph.getByRole('group', { name: '告警 堡垒机暴力破解（无严重程度）' })).toHaveAttribute(
    'aria-roledescription',
    '节点',
  );
  expect(graph.getByRole('status', { name: '' })).toHaveTextContent('显示 2 个对象。');
  expect(graph.getByRole('button', { name: '放大' })).toBeInTheDocument();
  expect(graph.getByRole('button', { name: '展开 撞库攻击' })).toBeInTheDocument();
  expect(
    within(graph.getByRole('list', { name: '对象类型' }))
      .getAllByRole('listitem')
      .map((li) => li.textContent),
  ).toEqual(['告警', '事件', '情报']);
  // The legend's severities are SecMaster's fixed set, worded as its Chinese console does.
  const severities = graph.getByRole('list', { name: '严重程度' });
  expect(
    within(severities)
      .getAllByRole('listitem')
      .map((li) => li.textContent),
  ).toEqual(['致命', '高危', '中危', '低危', '提示', '无严重程度']);
  expect(within(severities).getByText('致命').closest('[translate="no"]')).toBeNull();
  // The attribution link is named by the library's name alone (a name: data), not in English.
  const attribution = graph.getByRole('link', { name: 'React Flow' });
  expect(attribution).toHaveAttribute('translate', 'no');
  expect(attribution).toHaveAttribute('href', 'https://reactflow.dev');
  // Same tab: a new one would change the context without a word said.
  expect(attribution).not.toHaveAttribute('target');
  expect(englishWordsIn()).toEqual([]);
});
