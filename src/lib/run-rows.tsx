/**
 * A line of a list of batches (the History, an object's "Batches on this object"): the link that
 * opens the batch, move or batch of pairs, what it did, when (unambiguous, and how long ago), its
 * state, and the titles of its subjects, read `id in` for the whole list at once.
 */
import { Anchor, Badge, Stack, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { formatLocalDateTime, formatRelativeTime, shortId } from '../api/format';
import {
  batchStateSchema,
  dataclassTypeSchema,
  type BatchKind,
  type DataclassType,
} from '../api/schemas';
import { batchStateColors } from './batch-states';
import { t, useT } from '../i18n/i18n';
import { chunk, useObjectTitles, type TitleGroup, type TitleOf } from './object-names';
import { paths } from './paths';
import { actionWord, batchStateWord } from './words';

/** How a line names what it is (in its link's accessible name). */
const OPEN_KEYS = {
  batch: 'common.openBatch',
  pairs: 'common.openPairs',
  move: 'common.openMove',
} as const satisfies Record<BatchKind, string>;

function kindOf(kind: string | null | undefined): BatchKind {
  return kind === 'move' || kind === 'pairs' ? kind : 'batch';
}

/** What the line did: "Move", "Associate", "Cancel association (pairs)". */
export function runWhat(kind: string | null | undefined, action: string | null | undefined) {
  const k = kindOf(kind);
  if (k === 'move') return t('common.actionMove');
  const word = actionWord(action === 'cancel' ? 'cancel' : 'associate');
  return k === 'pairs' ? t('common.runPairs', { what: word }) : word;
}

/** The link opening the batch, move or batch of pairs: its short ID, named in full. */
export function RunLink({ kind, id }: { kind: string | null | undefined; id: string }) {
  const t = useT();
  const k = kindOf(kind);
  return (
    <Anchor
      component={Link}
      to={k === 'move' ? paths.move(id) : paths.batch(id)}
      size="xs"
      ff="monospace"
      aria-label={t(OPEN_KEYS[k], { id })}
      title={id}
      translate="no"
    >
      {shortId(id)}
    </Anchor>
  );
}

/** The state as its badge (a state this UI does not know is shown as sent). */
export function RunState({ state }: { state: string }) {
  useT();
  const known = batchStateSchema.safeParse(state);
  if (!known.success) return <span translate="no">{state}</span>;
  return (
    <Badge size="xs" variant="light" color={batchStateColors[known.data]}>
      {batchStateWord(known.data)}
    </Badge>
  );
}

/** The time, now; again every `everyMs` (for "5 minutes ago" to stay true while a page is open). */
export function useNow(everyMs = 60_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** When: "2026-12-05 14:03" (local, year first) over "5 minutes ago"; the exact UTC in its tooltip. */
export function RunWhen({ iso, now }: { iso: string; now: number }) {
  useT();
  return (
    <Stack gap={0}>
      <time dateTime={iso} title={iso} style={{ whiteSpace: 'nowrap' }}>
        {formatLocalDateTime(iso)}
      </time>
      <Text span size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
        {formatRelativeTime(iso, now)}
      </Text>
    </Stack>
  );
}

/** What a line says of its subject: where it lives, its class, and its ID (and a move's destination). */
export interface RunSubject {
  workspace_id?: unknown;
  dataclass_type?: string | null | undefined;
  data_object_id?: string | null | undefined;
  destination_id?: string | null | undefined;
}

/**
 * The titles of every subject (and destination) of the lines: one `id in` read per workspace and
 * class, at most 100 IDs each, cached by React Query.
 */
export function useSubjectTitles(rows: readonly RunSubject[]): TitleOf {
  const byGroup = new Map<
    string,
    { workspaceId: string; dataclass: DataclassType; ids: string[] }
  >();
  for (const r of rows) {
    const dataclass = dataclassTypeSchema.safeParse(r.dataclass_type);
    if (typeof r.workspace_id !== 'string' || !dataclass.success) continue;
    const key = `${r.workspace_id}/${dataclass.data}`;
    const group = byGroup.get(key) ?? {
      workspaceId: r.workspace_id,
      dataclass: dataclass.data,
      ids: [],
    };
    for (const id of [r.data_object_id, r.destination_id])
      if (id && !group.ids.includes(id)) group.ids.push(id);
    byGroup.set(key, group);
  }
  const groups: TitleGroup[] = [...byGroup.values()].flatMap((g) =>
    chunk(g.ids).map((ids) => ({ workspaceId: g.workspaceId, dataclass: g.dataclass, ids })),
  );
  return useObjectTitles(groups);
}
