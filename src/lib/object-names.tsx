/**
 * Names instead of raw IDs: an object's title by (workspace, class, ID) and a workspace's name,
 * read through the same `/v1` queries (and so the same React Query cache) as the rest of the SPA.
 * What is shown is the name; the ID stays one click away (the name links to the object's page,
 * its tooltip holds the ID, and a button copies it). While a name is unknown (loading, not found,
 * not readable) the ID itself is shown, so nothing is ever hidden behind a name.
 */
import { Anchor, Group, Text, VisuallyHidden } from '@mantine/core';
import { useQueries, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { consoleQueries } from '../api/console-queries';
import { inertText } from '../api/format';
import {
  MAX_IDS_PER_CALL,
  canonicalId,
  idsSearchBody,
  isWellFormedId,
  type DataclassType,
  type DataObjectDetail,
} from '../api/schemas';
import { secmasterQueries } from '../api/secmaster-queries';
import { useT } from '../i18n/i18n';
import { copyText } from './clipboard';
import { paths } from './paths';

/** Names change rarely: a name read once serves every view for this long. */
export const NAME_STALE_MS = 5 * 60_000;

/**
 * The words an analyst recognises an object by: title (alerts, incidents) or name/value
 * (indicators), with right-to-left overrides and other bidi controls made visible and inert.
 */
export function objectTitle(detail: DataObjectDetail): string {
  const o = detail.data_object;
  return inertText(o.title ?? detail.name ?? o.name ?? o.value ?? detail.id);
}

/** The console's project (from `/api/config`, read once per session), or undefined until known. */
function useProjectId(): string | undefined {
  return useQuery(consoleQueries.config()).data?.projectId;
}

/** The workspace's name, or null while it is unknown (loading, or not in the project's list). */
export function useWorkspaceName(workspaceId: string): string | null {
  const projectId = useProjectId();
  const list = useQuery({
    ...secmasterQueries.workspaces(projectId ?? ''),
    enabled: projectId !== undefined,
  });
  const found = list.data?.workspaces.find((w) => w.id === workspaceId);
  return found ? inertText(found.name) : null;
}

/** One object's title, or null while it is unknown (loading, not found, not readable). */
export function useObjectTitle(
  workspaceId: string,
  dataclass: DataclassType,
  id: string | null | undefined,
): string | null {
  const projectId = useProjectId();
  const objectId = id && isWellFormedId(id) ? canonicalId(id) : '';
  const object = useQuery({
    ...secmasterQueries.object(projectId ?? '', workspaceId, dataclass, objectId),
    enabled: projectId !== undefined && objectId !== '',
    staleTime: NAME_STALE_MS,
    retry: false,
  });
  return object.data ? objectTitle(object.data.data) : null;
}

/** Some objects of one class in one workspace whose titles are wanted (at most MAX_IDS_PER_CALL). */
export interface TitleGroup {
  workspaceId: string;
  dataclass: DataclassType;
  ids: readonly string[];
}

/** An object's title (string), not found by its read (null), or not known yet (undefined). */
export type TitleOf = (
  workspaceId: string,
  dataclass: DataclassType,
  id: string,
) => string | null | undefined;

const titleKey = (workspaceId: string, dataclass: DataclassType, id: string) =>
  `${workspaceId}/${dataclass}/${id}`;

/**
 * Titles of many objects, read `id in` at most MAX_IDS_PER_CALL at a time: one read per group the
 * caller passes, cached per group (the same IDs in the same order hit the cache), so a table that
 * passes the same groups while it scrolls back and forth reads each group once.
 */
export function useObjectTitles(groups: readonly TitleGroup[]): TitleOf {
  const projectId = useProjectId();
  const reads = groups
    .map((g) => ({
      ...g,
      ids: [...new Set(g.ids.filter(isWellFormedId).map(canonicalId))].slice(0, MAX_IDS_PER_CALL),
    }))
    .filter((g) => g.ids.length > 0);
  const answers = useQueries({
    queries: reads.map((g) => ({
      ...secmasterQueries.search(projectId ?? '', g.workspaceId, g.dataclass, idsSearchBody(g.ids)),
      enabled: projectId !== undefined,
      staleTime: NAME_STALE_MS,
      retry: false,
    })),
  });
  const titles = new Map<string, string | null>();
  answers.forEach((answer, i) => {
    const g = reads[i];
    if (!answer.data || !g) return;
    for (const id of g.ids) titles.set(titleKey(g.workspaceId, g.dataclass, id), null);
    for (const detail of answer.data.data) {
      const id = canonicalId(detail.data_object.id || detail.id);
      titles.set(titleKey(g.workspaceId, g.dataclass, id), objectTitle(detail));
    }
  });
  return (workspaceId, dataclass, id) =>
    titles.get(titleKey(workspaceId, dataclass, isWellFormedId(id) ? canonicalId(id) : id));
}

/** `items` cut into groups of at most `size`, in order. */
export function chunk<T>(items: readonly T[], size: number = MAX_IDS_PER_CALL): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The copy glyph (a check mark once copied), drawn inline so that it costs no icon library. */
export function CopyGlyph({ copied }: { copied: boolean }) {
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

/** A small button copying an ID; its accessible name says which ID (`label`, e.g. "subject"). */
/** Says a copy's outcome to screen readers (the button's glyph and tooltip show it to the eye). */
export function CopyOutcome({ state }: { state: 'idle' | 'copied' | 'failed' }) {
  const t = useT();
  return (
    <VisuallyHidden role="status">
      {state === 'copied' ? t('common.copied') : state === 'failed' ? t('common.copyFailed') : ''}
    </VisuallyHidden>
  );
}

export function CopyId({ id, label }: { id: string; label: string }) {
  const t = useT();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <>
      <button
        type="button"
        // Its tooltip holds the ID: the words are already in the console's language.
        translate="no"
        aria-label={t('common.copyIdOf', { what: label })}
        title={
          state === 'copied'
            ? t('common.copied')
            : state === 'failed'
              ? t('common.copyFailed')
              : t('common.copyThis', { id })
        }
        onClick={() => {
          copyText(id).then(
            () => setState('copied'),
            () => setState('failed'),
          );
        }}
        onBlur={() => setState('idle')}
        style={{
          display: 'inline-flex',
          alignItems: 'center',
          justifyContent: 'center',
          width: 20,
          height: 20,
          padding: 0,
          border: 0,
          borderRadius: 'var(--mantine-radius-sm)',
          background: 'transparent',
          color:
            state === 'failed'
              ? 'var(--mantine-color-red-light-color)'
              : 'var(--mantine-color-gray-light-color)',
          cursor: 'pointer',
        }}
      >
        <CopyGlyph copied={state === 'copied'} />
      </button>
      <CopyOutcome state={state} />
    </>
  );
}

/**
 * An object by its title: a link to its page (the ID in its tooltip) and, with `copyLabel`, a
 * button copying the ID. The ID itself is shown while the title is unknown.
 */
export function ObjectLink({
  dataclass,
  id,
  title,
  copyLabel,
  size = 'sm',
}: {
  dataclass: DataclassType;
  id: string;
  title: string | null | undefined;
  /** What the object is here ("subject", "source", "destination"): names the copy button. */
  copyLabel?: string | undefined;
  size?: 'xs' | 'sm';
}) {
  return (
    <Group component="span" gap={2} wrap="nowrap" display="inline-flex" maw="100%">
      <Anchor
        component={Link}
        to={paths.object(dataclass, id)}
        size={size}
        title={id}
        translate="no"
        ff={title ? undefined : 'monospace'}
        style={{ overflowWrap: 'anywhere' }}
      >
        {title ?? id}
      </Anchor>
      {copyLabel !== undefined && <CopyId id={id} label={copyLabel} />}
    </Group>
  );
}

/** `ObjectLink` with the object's title read (and cached) by `useObjectTitle`. */
export function ObjectName({
  workspaceId,
  dataclass,
  id,
  copyLabel,
  size = 'sm',
}: {
  workspaceId: string;
  dataclass: DataclassType;
  id: string;
  copyLabel?: string | undefined;
  size?: 'xs' | 'sm';
}) {
  const title = useObjectTitle(workspaceId, dataclass, id);
  return (
    <ObjectLink dataclass={dataclass} id={id} title={title} copyLabel={copyLabel} size={size} />
  );
}

/** A workspace by its name (the ID in its tooltip), with a button copying the ID. */
export function WorkspaceName({
  workspaceId,
  copy = true,
  size = 'xs',
}: {
  workspaceId: string;
  /** Show the button copying the ID (one per page: its name is "Copy workspace ID"). */
  copy?: boolean;
  size?: 'xs' | 'sm';
}) {
  const t = useT();
  const name = useWorkspaceName(workspaceId);
  return (
    <Group component="span" gap={2} wrap="nowrap" display="inline-flex" maw="100%">
      <Text span size={size} title={workspaceId} translate="no" ff={name ? undefined : 'monospace'}>
        {name ?? workspaceId}
      </Text>
      {copy && <CopyId id={workspaceId} label={t('common.workspaceWord')} />}
    </Group>
  );
}
