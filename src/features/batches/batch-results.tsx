import { Alert, Box, Group, Paper, Progress, Stack, Table, Text, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import {
  observeElementRect,
  useVirtualizer,
  type Rect,
  type Virtualizer,
} from '@tanstack/react-virtual';
import { memo, useEffect, useId, useRef, useState, type ReactNode, type RefObject } from 'react';
import { inertText } from '../../api/format';
import { t as translate, useI18n, useT, type MessageKey } from '../../i18n/i18n';
import type { Language } from '../../i18n/languages';
import {
  batchKindOf,
  itemStates,
  type BatchItem,
  type BatchSummary,
  type ItemState,
} from '../../api/schemas';
import classes from './batch-results.module.css';
import { isBatchActive, itemStateColors } from '../../lib/batch-states';
import { ErrorText, ItemMessageWords } from '../../lib/error-text';
import { itemMessage, itemMessageText } from '../../lib/item-message';
import { itemStateWord } from '../../lib/words';
import { copyText } from '../../lib/clipboard';
import { chunk, CopyGlyph, CopyOutcome, useObjectTitles } from '../../lib/object-names';
import { CountBadges, ResultFilters, type FilterOption } from '../../lib/run-view';
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

function stateOptions(batch: BatchSummary): FilterOption<ItemState>[] {
  return itemStates.map((s) => ({
    value: s,
    label: itemStateWord(s),
    count: batch.counts[s],
    color: itemStateColors[s],
  }));
}

/** The region "Batch results": counts per state, the filterable per-ID table, result actions. */
export function BatchResults({ batch, children }: { batch: BatchSummary; children?: ReactNode }) {
  const t = useT();
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
            {t('batches.results')}
          </Title>
          {children}
        </Group>
        <StateCounts batch={batch} />
        <ResultFilters
          label={t('batches.filterByState')}
          total={batch.total}
          options={stateOptions(batch)}
          filter={filter}
          onFilter={(value) => {
            setFilter(value);
            backToTop();
          }}
          search={search}
          onSearch={(value) => {
            setSearch(value);
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
  const t = useT();
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
  const titleOf = useRowTitles(batch, pages.rowAt, range, total ?? 0, withSubject);

  return (
    <>
      {pages.error != null && (
        <Alert color="red" p="xs" title={t('batches.itemsLoadFailed')}>
          <ErrorText error={pages.error} />
        </Alert>
      )}
      <ItemsTable
        scrollRef={scrollRef}
        total={total}
        rowAt={pages.rowAt}
        titleOf={titleOf}
        loading={pages.loading}
        stale={pages.stale}
        onRange={setRange}
        withSubject={withSubject}
      />
      <Text size="xs" c="dimmed" aria-live="polite" style={{ fontVariantNumeric: 'tabular-nums' }}>
        {total === undefined
          ? ' '
          : total === 0
            ? t('batches.noMatching')
            : state || q
              ? t('batches.matchingCount', { count: total })
              : t('batches.idCount', { count: total })}
      </Text>
    </>
  );
});

const StateCounts = memo(function StateCounts({ batch }: { batch: BatchSummary }) {
  const t = useT();
  const total = Math.max(
    1,
    itemStates.reduce((sum, s) => sum + batch.counts[s], 0),
  );
  return (
    <Stack gap={6}>
      <CountBadges label={t('batches.countsPerState')} options={stateOptions(batch)} />
      {/* The stacked bar repeats the badges visually, so it stays out of the accessibility tree. */}
      <Progress.Root size="sm" aria-hidden>
        {itemStates.map((s) =>
          batch.counts[s] > 0 ? (
            <Progress.Section
              key={s}
              withAria={false}
              value={(batch.counts[s] / total) * 100}
              color={itemStateColors[s]}
              title={t('batches.stateCount', {
                state: itemStateWord(s),
                count: batch.counts[s],
              })}
            />
          ) : null,
        )}
      </Progress.Root>
      {!batch.changes_recorded && (
        <Text size="xs" c="dimmed">
          {t('batches.unrecordedNote', { associate: batch.action === 'associate' })}
        </Text>
      )}
    </Stack>
  );
});

/*
 * Column widths in pixels (the table's layout is fixed); Title and Message share what is left.
 * The ID column fits a whole UUID (36 monospace characters) and its copy button; Code fits
 * "SecMaster.20030005". At 1280 px the table fits the page without scrolling sideways.
 */
const columns = [
  { label: 'batches.colId', width: 304 },
  { label: 'batches.colTitle', width: undefined },
  { label: 'batches.colState', width: 88 },
  { label: 'batches.colCode', width: 150 },
  { label: 'batches.colMessage', width: undefined },
  { label: 'batches.colRequestId', width: 170 },
  { label: 'batches.colAttempts', width: 76 },
] as const satisfies readonly { label: MessageKey; width: number | undefined }[];

/** A batch of pairs: the subject of each row first (its title, the ID in its tooltip). */
const pairColumns = [
  { label: 'batches.colSubject', width: 200 },
  { label: 'batches.colId', width: 304 },
  { label: 'batches.colTitle', width: undefined },
  { label: 'batches.colState', width: 88 },
  { label: 'batches.colCode', width: 150 },
  { label: 'batches.colMessage', width: undefined },
  { label: 'batches.colRequestId', width: 150 },
  { label: 'batches.colAttempts', width: 76 },
] as const satisfies readonly { label: MessageKey; width: number | undefined }[];

/** Narrowest width of the columns sharing what is left (below it, the box scrolls sideways). */
const SHARED_COLUMN_MIN = 110;

function minTableWidth(shown: readonly { width: number | undefined }[]): number {
  return shown.reduce((sum, c) => sum + (c.width ?? SHARED_COLUMN_MIN), 0);
}

/** Rows the box shows before it has measured (the first rows, as many as fit). */
const FIRST_ROWS = Math.ceil(RESULTS_VIEWPORT_HEIGHT / RESULTS_ROW_HEIGHT);

/**
 * The titles of the rows in view (`range`, with overscan): rows are grouped by their index in
 * blocks of 100 (one `id in` read each, the largest SecMaster allows), fixed by position so that
 * a block read once is served from the cache when it scrolls back into view. A block is read once
 * all its rows are loaded. A batch of pairs also reads its rows' subjects.
 */
function useRowTitles(
  batch: BatchSummary,
  rowAt: (index: number) => BatchItem | undefined,
  range: { first: number; last: number } | null,
  total: number,
  withSubject: boolean,
): RowTitles {
  const first = range?.first ?? 0;
  const last = Math.min(total, range ? range.last + 1 : FIRST_ROWS) - 1;
  const groups = [];
  for (let block = Math.floor(first / BLOCK); block * BLOCK <= last; block++) {
    const rows: BatchItem[] = [];
    for (let i = block * BLOCK; i < Math.min(total, (block + 1) * BLOCK); i++) {
      const item = rowAt(i);
      if (item) rows.push(item);
    }
    if (rows.length < Math.min(BLOCK, total - block * BLOCK)) continue;
    const ids = rows.filter((r) => r.state !== 'invalid').map((r) => r.id);
    groups.push({
      workspaceId: batch.workspace_id,
      dataclass: batch.related_dataclass_type,
      ids,
    });
    if (withSubject) {
      const subjects = [...new Set(rows.map((r) => r.data_object_id ?? ''))];
      for (const ids of chunk(subjects))
        groups.push({ workspaceId: batch.workspace_id, dataclass: batch.dataclass_type, ids });
    }
  }
  const titleOf = useObjectTitles(groups);
  return {
    item: (id) => titleOf(batch.workspace_id, batch.related_dataclass_type, id),
    subject: (id) => titleOf(batch.workspace_id, batch.dataclass_type, id),
  };
}

function rowTitle(
  of: (id: string) => string | null | undefined,
  id: string | null | undefined,
): string | null | undefined {
  return id ? of(id) : null;
}

/** A row's title (string), not found (null) or not read yet (undefined); likewise its subject's. */
interface RowTitles {
  item: (id: string) => string | null | undefined;
  subject: (id: string) => string | null | undefined;
}

/** Rows per title read (SecMaster's largest `id in`). */
const BLOCK = 100;

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
  titleOf,
  loading,
  stale,
  onRange,
  withSubject,
}: {
  scrollRef: RefObject<HTMLDivElement | null>;
  total: number | undefined;
  rowAt: (index: number) => BatchItem | undefined;
  titleOf: RowTitles;
  loading: boolean;
  stale: boolean;
  onRange: (range: { first: number; last: number } | null) => void;
  withSubject: boolean;
}) {
  const { t, language } = useI18n();
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
        miw={minTableWidth(withSubject ? pairColumns : columns)}
        highlightOnHover
        stickyHeader
        verticalSpacing={4}
        horizontalSpacing="xs"
        fz="xs"
        aria-label={t('batches.tableLabel')}
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
                  {total === undefined || loading
                    ? t('batches.loading')
                    : t('batches.noneMatchFilter')}
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
                  title={rowTitle(titleOf.item, rowAt(v.index)?.id)}
                  subjectTitle={
                    withSubject ? rowTitle(titleOf.subject, rowAt(v.index)?.data_object_id) : null
                  }
                  withSubject={withSubject}
                  language={language}
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
  const t = useT();
  const shown = withSubject ? pairColumns : columns;
  return (
    <>
      <colgroup>
        {shown.map((c) => (
          <col key={c.label} style={c.width === undefined ? undefined : { width: c.width }} />
        ))}
      </colgroup>
      <Table.Thead>
        <Table.Tr aria-rowindex={1} style={{ height: RESULTS_HEADER_HEIGHT }}>
          {shown.map((c) => (
            <Table.Th key={c.label}>{t(c.label)}</Table.Th>
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
  title,
  subjectTitle,
  withSubject,
}: {
  /** Only to render again in another language (the row reads its words outside React). */
  language: Language;
  index: number;
  item: BatchItem | undefined;
  /** The object's title; null when its read did not find it; undefined while it is read. */
  title: string | null | undefined;
  subjectTitle: string | null | undefined;
  withSubject: boolean;
}) {
  if (!item) {
    return (
      <tr aria-rowindex={index + 2} className={classes.row}>
        <td
          colSpan={withSubject ? pairColumns.length : columns.length}
          className={`${classes.cell} ${classes.dimmed}`}
        >
          {translate('batches.loading')}
        </td>
      </tr>
    );
  }
  return (
    <tr aria-rowindex={index + 2} className={classes.row}>
      {withSubject && (
        <td
          className={`${classes.cell} ${subjectTitle ? '' : classes.mono}`}
          title={item.data_object_id ?? undefined}
          translate="no"
        >
          {subjectTitle ?? item.data_object_id ?? ''}
        </td>
      )}
      <td className={classes.cell}>
        <div className={classes.idLine}>
          <span className={`${classes.mono} ${classes.idText}`} title={item.id} translate="no">
            {item.id}
          </span>
          <CopyIdButton id={item.id} />
        </div>
      </td>
      <TitleCell title={item.state === 'invalid' ? null : title} />
      <td className={`${classes.cell} ${stateClass[item.state] ?? ''}`}>
        {itemStateWord(item.state)}
      </td>
      <td
        className={`${classes.cell} ${classes.mono}`}
        title={item.code ?? undefined}
        translate="no"
      >
        {item.code ?? ''}
      </td>
      <MessageCell code={item.code} message={item.message} />
      <td
        className={`${classes.cell} ${classes.mono}`}
        title={item.request_id ?? undefined}
        translate="no"
      >
        {item.request_id ?? ''}
      </td>
      <td className={`${classes.cell} ${classes.numeric}`}>{item.attempts}</td>
    </tr>
  );
});

/**
 * The Message cell: the message worded from its code in the console's language (and the server's
 * detail where those words leave it out); SecMaster's own text (unknown codes) as sent, marked as
 * data.
 */
function MessageCell({ code, message }: { code: string | null; message: string | null }) {
  const m = itemMessage(code, message);
  const text = itemMessageText(m);
  // Only SecMaster's own text: the cell itself is the data.
  if (!m.words)
    return (
      <td className={classes.cell} title={text ? inertText(text) : undefined} translate="no">
        {inertText(text)}
      </td>
    );
  return (
    <td className={classes.cell} title={inertText(text)}>
      <ItemMessageWords parts={m} />
    </td>
  );
}

/** The Title cell: the title, "…" while it is read, "—" when the workspace has no such object. */
function TitleCell({ title }: { title: string | null | undefined }) {
  if (title === undefined) {
    return (
      <td className={`${classes.cell} ${classes.dimmed}`} aria-busy="true">
        …
      </td>
    );
  }
  if (title === null) {
    return (
      <td className={`${classes.cell} ${classes.dimmed}`} title={translate('batches.noTitle')}>
        —
      </td>
    );
  }
  return (
    <td className={classes.cell} title={title} translate="no">
      {title}
    </td>
  );
}

/** A plain button with a `title` rather than a Mantine ActionIcon and Tooltip per row. */
function CopyIdButton({ id }: { id: string }) {
  // The <tr> is reused for other rows while scrolling: a result only counts for its own ID.
  const [copy, setCopy] = useState<{ id: string; state: 'copied' | 'failed' } | null>(null);
  const state = copy?.id === id ? copy.state : 'idle';
  const setState = (next: 'idle' | 'copied' | 'failed') =>
    setCopy(next === 'idle' ? null : { id, state: next });
  return (
    <>
      <button
        type="button"
        className={classes.copy}
        data-failed={state === 'failed' || undefined}
        aria-label={translate('batches.copyIdOf', { id })}
        title={translate(
          state === 'copied'
            ? 'batches.copied'
            : state === 'failed'
              ? 'batches.copyFailed'
              : 'batches.copy',
        )}
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
      <CopyOutcome state={state} />
    </>
  );
}
