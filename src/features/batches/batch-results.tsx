import {
  Alert,
  Badge,
  Box,
  Group,
  Paper,
  Progress,
  Radio,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import {
  observeElementRect,
  useVirtualizer,
  type Rect,
  type Virtualizer,
} from '@tanstack/react-virtual';
import { memo, useEffect, useId, useRef, useState, type ReactNode, type RefObject } from 'react';
import { describeError } from '../../api/client';
import { formatCount, inertText } from '../../api/format';
import {
  batchKindOf,
  itemStates,
  type BatchItem,
  type BatchSummary,
  type ItemState,
} from '../../api/schemas';
import classes from './batch-results.module.css';
import { isBatchActive, itemStateColors, itemStateLabels } from '../../lib/batch-states';
import { copyText } from '../../lib/clipboard';
import { useItemPages } from './item-pages';

const SEARCH_DEBOUNCE_MS = 300;
/** Height of one results row (fixed: rows are never measured, so scrolling never re-lays out). */
export const RESULTS_ROW_HEIGHT = 32;
/** The results table scrolls inside a box of at most this height (header included). */
export const RESULTS_VIEWPORT_HEIGHT = 480;
const RESULTS_HEADER_HEIGHT = 32;
/**
 * Rows rendered beyond each edge of the box: enough for keyboard and wheel scrolling to show no
 * blank rows, few enough that a fast scroll (which replaces every row each frame) stays cheap.
 */
const RESULTS_OVERSCAN = 4;
/** Row keys cycle through this many slots (more than the rows a 480 px box ever renders). */
const RECYCLE_SLOTS = 64;

type StateFilter = 'all' | ItemState;

function isStateFilter(value: string): value is StateFilter {
  return value === 'all' || (itemStates as readonly string[]).includes(value);
}

/** The region "Batch results": counts per state, the filterable per-ID table, result actions. */
export function BatchResults({ batch, children }: { batch: BatchSummary; children?: ReactNode }) {
  const headingId = useId();
  const [filter, setFilter] = useState<StateFilter>('all');
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), SEARCH_DEBOUNCE_MS);
  const scrollRef = useRef<HTMLDivElement>(null);

  const state = filter === 'all' ? undefined : filter;
  const backToTop = () => {
    if (scrollRef.current) scrollRef.current.scrollTop = 0;
  };

  return (
    <Paper component="section" aria-labelledby={headingId} withBorder p="xs">
      <Stack gap="xs">
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Title order={2} size="h5" id={headingId}>
            Batch results
          </Title>
          {children}
        </Group>
        <StateCounts batch={batch} />
        <Radio.Group
          label="Filter by state"
          size="xs"
          value={filter}
          onChange={(value) => {
            if (isStateFilter(value)) {
              setFilter(value);
              backToTop();
            }
          }}
        >
          <Group gap="md" mt={4} wrap="wrap">
            <Radio value="all" label="All" description={formatCount(batch.total)} />
            {itemStates.map((s) => (
              <Radio
                key={s}
                value={s}
                label={itemStateLabels[s]}
                description={formatCount(batch.counts[s])}
              />
            ))}
          </Group>
        </Radio.Group>
        <TextInput
          label="Search IDs"
          size="xs"
          maw={420}
          placeholder="Whole or part of an ID"
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            backToTop();
          }}
        />
        <ResultItems batch={batch} state={state} q={q || undefined} scrollRef={scrollRef} />
      </Stack>
    </Paper>
  );
}

/**
 * The table, its load error and its count. A component of its own (memoized) so that scrolling,
 * which changes the range in view every frame, and each page that arrives re-render only the
 * table, never the counts, filters and search field above it.
 */
const ResultItems = memo(function ResultItems({
  batch,
  state,
  q,
  scrollRef,
}: {
  batch: BatchSummary;
  state: ItemState | undefined;
  q: string | undefined;
  scrollRef: RefObject<HTMLDivElement | null>;
}) {
  const [range, setRange] = useState<{ first: number; last: number } | null>(null);
  // A new filter or search starts from the top (the box is scrolled there by the caller).
  const filterKey = `${state ?? ''}|${q ?? ''}`;
  const [rangeFilterKey, setRangeFilterKey] = useState(filterKey);
  if (rangeFilterKey !== filterKey) {
    setRangeFilterKey(filterKey);
    setRange(null);
  }
  const pages = useItemPages({
    batchId: batch.id,
    state,
    q,
    range: rangeFilterKey === filterKey ? range : null,
    poll: isBatchActive(batch.state),
  });
  // Until page 0 answers, an unfiltered table already knows its size from the summary.
  const total = pages.total ?? (!state && !q && !pages.loading ? batch.total : undefined);
  // A batch of pairs holds many subjects: each row says its own.
  const withSubject = batchKindOf(batch) === 'pairs';

  return (
    <>
      {pages.error != null && (
        <Alert color="red" p="xs" title="The items could not be loaded">
          {describeError(pages.error)}
        </Alert>
      )}
      <ItemsTable
        scrollRef={scrollRef}
        total={total}
        rowAt={pages.rowAt}
        loading={pages.loading}
        stale={pages.stale}
        onRange={setRange}
        withSubject={withSubject}
      />
      <Text size="xs" c="dimmed" aria-live="polite" style={{ fontVariantNumeric: 'tabular-nums' }}>
        {total === undefined
          ? ' '
          : total === 0
            ? 'No matching IDs'
            : state || q
              ? `${formatCount(total)} matching ${total === 1 ? 'ID' : 'IDs'}`
              : `${formatCount(total)} ${total === 1 ? 'ID' : 'IDs'}`}
      </Text>
    </>
  );
});

const StateCounts = memo(function StateCounts({ batch }: { batch: BatchSummary }) {
  const total = Math.max(
    1,
    itemStates.reduce((sum, s) => sum + batch.counts[s], 0),
  );
  return (
    <Stack gap={6}>
      <Group
        component="ul"
        aria-label="Counts per state"
        gap={6}
        m={0}
        p={0}
        style={{ listStyle: 'none' }}
      >
        {itemStates.map((s) => (
          <li key={s}>
            <Badge
              size="sm"
              variant={batch.counts[s] > 0 ? 'light' : 'outline'}
              color={itemStateColors[s]}
              style={{ fontVariantNumeric: 'tabular-nums' }}
            >
              {itemStateLabels[s]} {formatCount(batch.counts[s])}
            </Badge>
          </li>
        ))}
      </Group>
      {/* The stacked bar repeats the badges visually, so it stays out of the accessibility tree. */}
      <Progress.Root size="sm" aria-hidden>
        {itemStates.map((s) =>
          batch.counts[s] > 0 ? (
            <Progress.Section
              key={s}
              withAria={false}
              value={(batch.counts[s] / total) * 100}
              color={itemStateColors[s]}
              title={`${itemStateLabels[s]}: ${formatCount(batch.counts[s])}`}
            />
          ) : null,
        )}
      </Progress.Root>
      {!batch.changes_recorded && (
        <Text size="xs" c="dimmed">
          Recorded before the console kept track of what each batch changed: Succeeded may include
          IDs that were {batch.action === 'associate' ? 'already linked' : 'not linked'} before this
          batch, and No change was not counted.
        </Text>
      )}
    </Stack>
  );
});

const columns = [
  { label: 'ID', width: '30%' },
  { label: 'State', width: '9%' },
  { label: 'Code', width: '13%' },
  { label: 'Message', width: '26%' },
  { label: 'Request ID', width: '15%' },
  { label: 'Attempts', width: '7%' },
] as const;

/** A batch of pairs: the subject of each row first. */
const pairColumns = [
  { label: 'Subject', width: '22%' },
  { label: 'ID', width: '24%' },
  { label: 'State', width: '8%' },
  { label: 'Code', width: '11%' },
  { label: 'Message', width: '18%' },
  { label: 'Request ID', width: '11%' },
  { label: 'Attempts', width: '6%' },
] as const;

/** Reports the virtualizer's measured height, or the planned one where layout is absent (jsdom). */
function observeRectWithFallback(
  fallbackHeight: () => number,
): (
  instance: Virtualizer<HTMLDivElement, Element>,
  cb: (rect: Rect) => void,
) => void | (() => void) {
  return (instance, cb) =>
    observeElementRect(instance, (rect) =>
      cb(rect.height > 0 ? rect : { width: rect.width, height: fallbackHeight() }),
    );
}

function ItemsTable({
  scrollRef,
  total,
  rowAt,
  loading,
  stale,
  onRange,
  withSubject,
}: {
  scrollRef: RefObject<HTMLDivElement | null>;
  total: number | undefined;
  rowAt: (index: number) => BatchItem | undefined;
  loading: boolean;
  stale: boolean;
  onRange: (range: { first: number; last: number } | null) => void;
  withSubject: boolean;
}) {
  const span = withSubject ? pairColumns.length : columns.length;
  const count = total ?? 0;
  // The box is as tall as its rows, up to RESULTS_VIEWPORT_HEIGHT; then it scrolls.
  const height = Math.min(
    RESULTS_VIEWPORT_HEIGHT,
    RESULTS_HEADER_HEIGHT + Math.max(1, count) * RESULTS_ROW_HEIGHT + 2,
  );
  const bodyHeight = height - RESULTS_HEADER_HEIGHT;
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render by design; nothing here is memoized on it.
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => RESULTS_ROW_HEIGHT,
    overscan: RESULTS_OVERSCAN,
    scrollPaddingStart: RESULTS_HEADER_HEIGHT,
    paddingStart: 0,
    initialRect: { width: 900, height: bodyHeight },
    observeElementRect: observeRectWithFallback(() => bodyHeight),
  });
  const virtualRows = virtualizer.getVirtualItems();
  const first = virtualRows[0]?.index;
  const last = virtualRows[virtualRows.length - 1]?.index;
  useEffect(() => {
    onRange(first === undefined || last === undefined ? null : { first, last });
  }, [first, last, onRange]);
  // Rendered rows are consecutive, so `index % slots` is unique among them.
  const slots = Math.max(RECYCLE_SLOTS, virtualRows.length);
  const padTop = virtualRows[0]?.start ?? 0;
  const padBottom =
    virtualRows.length > 0 ? virtualizer.getTotalSize() - (virtualRows.at(-1)?.end ?? 0) : 0;

  return (
    <Box
      ref={scrollRef}
      data-testid="batch-results-scroll"
      style={{
        height,
        overflow: 'auto',
        overscrollBehavior: 'contain',
        border: '1px solid var(--mantine-color-default-border)',
        borderRadius: 'var(--mantine-radius-sm)',
      }}
    >
      <Table
        layout="fixed"
        miw={900}
        highlightOnHover
        stickyHeader
        verticalSpacing={4}
        horizontalSpacing="xs"
        fz="xs"
        aria-label="Batch items"
        aria-rowcount={total === undefined ? undefined : total + 1}
        aria-busy={loading || stale}
        style={{ opacity: stale ? 0.7 : 1, transition: 'opacity 120ms' }}
      >
        <ItemsHead withSubject={withSubject} />
        <Table.Tbody>
          {count === 0 ? (
            <Table.Tr style={{ height: RESULTS_ROW_HEIGHT }}>
              <Table.Td colSpan={span}>
                <Text size="xs" c="dimmed">
                  {total === undefined || loading ? 'Loading…' : 'No IDs match this filter.'}
                </Text>
              </Table.Td>
            </Table.Tr>
          ) : (
            <>
              {padTop > 0 && <SpacerRow height={padTop} span={span} />}
              {virtualRows.map((v) => (
                // Keyed by slot, not by row: a row scrolled out lends its <tr> to the row
                // scrolled in, so a fast scroll updates text instead of rebuilding the DOM.
                <ItemRow
                  key={v.index % slots}
                  index={v.index}
                  item={rowAt(v.index)}
                  withSubject={withSubject}
                />
              ))}
              {padBottom > 0 && <SpacerRow height={padBottom} span={span} />}
            </>
          )}
        </Table.Tbody>
      </Table>
    </Box>
  );
}

/** Column widths and the header row: the same on every render, so rendered once. */
const ItemsHead = memo(function ItemsHead({ withSubject }: { withSubject: boolean }) {
  const shown = withSubject ? pairColumns : columns;
  return (
    <>
      <colgroup>
        {shown.map((c) => (
          <col key={c.label} style={{ width: c.width }} />
        ))}
      </colgroup>
      <Table.Thead>
        <Table.Tr aria-rowindex={1} style={{ height: RESULTS_HEADER_HEIGHT }}>
          {shown.map((c) => (
            <Table.Th key={c.label}>{c.label}</Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
    </>
  );
});

/** Stands in for the rows out of view; not a row for assistive technology. */
function SpacerRow({ height, span }: { height: number; span: number }) {
  return (
    <tr aria-hidden="true" style={{ height }}>
      <td colSpan={span} style={{ padding: 0, border: 0 }} />
    </tr>
  );
}

/*
 * Rows are plain <tr>/<td> with CSS-module classes (batch-results.module.css), not Mantine
 * components: about 100 rows mount per frame while the table is scrolled fast, and Mantine's
 * per-component style and context work made those frames long tasks.
 */

/** The class of a state word: the state's colour, or dimmed for the grey states. */
const stateClass: Record<ItemState, string | undefined> = Object.fromEntries(
  itemStates.map((s) => {
    const color = itemStateColors[s];
    return [s, color === 'gray' ? classes.dimmed : classes[color]];
  }),
) as Record<ItemState, string | undefined>;

/** One item, or "Loading…" while its page loads. */
const ItemRow = memo(function ItemRow({
  index,
  item,
  withSubject,
}: {
  index: number;
  item: BatchItem | undefined;
  withSubject: boolean;
}) {
  if (!item) {
    return (
      <tr aria-rowindex={index + 2} className={classes.row}>
        <td
          colSpan={withSubject ? pairColumns.length : columns.length}
          className={`${classes.cell} ${classes.dimmed}`}
        >
          Loading…
        </td>
      </tr>
    );
  }
  return (
    <tr aria-rowindex={index + 2} className={classes.row}>
      {withSubject && (
        <td className={`${classes.cell} ${classes.mono}`} title={item.data_object_id ?? undefined}>
          <span className={classes.idText}>{item.data_object_id ?? ''}</span>
        </td>
      )}
      <td className={classes.cell}>
        <div className={classes.idLine}>
          <span className={`${classes.mono} ${classes.idText}`} title={item.id}>
            {item.id}
          </span>
          <CopyIdButton id={item.id} />
        </div>
      </td>
      <td className={`${classes.cell} ${stateClass[item.state] ?? ''}`}>
        {itemStateLabels[item.state]}
      </td>
      <td className={`${classes.cell} ${classes.mono}`} title={item.code ?? undefined}>
        {item.code ?? ''}
      </td>
      <td className={classes.cell} title={item.message ? inertText(item.message) : undefined}>
        {item.message ? inertText(item.message) : ''}
      </td>
      <td className={`${classes.cell} ${classes.mono}`} title={item.request_id ?? undefined}>
        {item.request_id ?? ''}
      </td>
      <td className={`${classes.cell} ${classes.numeric}`}>{item.attempts}</td>
    </tr>
  );
});

/** A plain button with a `title` rather than a Mantine ActionIcon and Tooltip per row. */
function CopyIdButton({ id }: { id: string }) {
  // The <tr> is reused for other rows while scrolling: a result only counts for its own ID.
  const [copy, setCopy] = useState<{ id: string; state: 'copied' | 'failed' } | null>(null);
  const state = copy?.id === id ? copy.state : 'idle';
  const setState = (next: 'idle' | 'copied' | 'failed') =>
    setCopy(next === 'idle' ? null : { id, state: next });
  return (
    <button
      type="button"
      className={classes.copy}
      data-failed={state === 'failed' || undefined}
      aria-label={`Copy ID ${id}`}
      title={state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : 'Copy'}
      onClick={() => {
        copyText(id).then(
          () => setState('copied'),
          () => setState('failed'),
        );
      }}
      onMouseLeave={() => setState('idle')}
    >
      <CopyGlyph copied={state === 'copied'} />
    </button>
  );
}

function CopyGlyph({ copied }: { copied: boolean }) {
  return (
    <svg
      width="12"
      height="12"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      aria-hidden
    >
      {copied ? (
        <path d="M5 12l5 5L20 7" />
      ) : (
        <>
          <rect x="9" y="9" width="12" height="12" rx="2" />
          <path d="M5 15V5a2 2 0 0 1 2-2h10" />
        </>
      )}
    </svg>
  );
}
