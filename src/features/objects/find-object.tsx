import {
  Badge,
  Combobox,
  Group,
  InputBase,
  Loader,
  Text,
  useCombobox,
  VisuallyHidden,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQueries, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { describeError } from '../../api/client';
import { inertText } from '../../api/format';
import {
  dataclassLabels,
  dataclassTypes,
  isWellFormedId,
  type DataclassType,
  type DataObjectDetail,
} from '../../api/schemas';
import { paths } from '../../lib/paths';
import { objectIdOf, objectsQueries } from './queries';

const DEBOUNCE_MS = 250;
/** Fewer characters than this (and not an ID) are not searched: they match almost everything. */
const MIN_TEXT = 2;

export const classBadgeColors: Record<DataclassType, string> = {
  alerts: 'orange',
  incidents: 'grape',
  indicators: 'teal',
};

/** The words an analyst recognises an object by: title, or an indicator's name or value. */
export function objectTitle(detail: DataObjectDetail): string {
  const o = detail.data_object;
  return inertText(o.title ?? o.name ?? detail.name ?? o.value ?? objectIdOf(detail));
}

interface Found {
  dataclass: DataclassType;
  detail: DataObjectDetail;
}

const optionValue = (f: Found) => `${f.dataclass}/${objectIdOf(f.detail)}`;

/**
 * The header's combobox "Find an object": an ID or part of a title, searched in the alerts,
 * incidents and indicators of the workspace at once (one search per class, in parallel); Enter or
 * a click opens the object's page (Enter without a highlighted option opens the first one).
 */
export function FindObject({ projectId, workspaceId }: { projectId: string; workspaceId: string }) {
  const navigate = useNavigate();
  const combobox = useCombobox({ onDropdownClose: () => combobox.resetSelectedOption() });
  const [text, setText] = useState('');
  /** The text as typed, for an Enter whose searches answer after more typing. */
  const latest = useRef('');
  const queryClient = useQueryClient();
  const [debounced] = useDebouncedValue(text.trim(), DEBOUNCE_MS);
  const isId = isWellFormedId(debounced);
  const searchText = isId || debounced.length >= MIN_TEXT ? debounced : '';

  const searches = useQueries({
    queries: dataclassTypes.map((dataclass) => ({
      ...objectsQueries.find(projectId, workspaceId, dataclass, searchText),
      enabled: searchText !== '',
      staleTime: 30_000,
    })),
  });
  const found: Found[] = searchText
    ? searches.flatMap((s, i) =>
        (s.data?.data ?? []).map((detail) => ({ dataclass: dataclassTypes[i]!, detail })),
      )
    : [];
  const pending = searchText !== '' && searches.some((s) => s.isFetching);
  const failed = searches
    .map((s, i) =>
      searchText && s.isError ? { dataclass: dataclassTypes[i]!, error: s.error } : null,
    )
    .filter((f) => f !== null);
  const settled = searchText !== '' && searches.every((s) => !s.isPending || s.isError);

  function open(value: string) {
    const f = found.find((x) => optionValue(x) === value);
    if (f) go(f);
  }

  const first = found[0];

  function go(f: Found) {
    combobox.closeDropdown();
    latest.current = '';
    setText('');
    void navigate(paths.object(f.dataclass, objectIdOf(f.detail)));
  }

  /** Enter before the searches of `typed` answered: search now, and open the first find. */
  async function openFirstOf(typed: string) {
    const answers = await Promise.allSettled(
      dataclassTypes.map((dataclass) =>
        queryClient.fetchQuery({
          ...objectsQueries.find(projectId, workspaceId, dataclass, typed),
          staleTime: 30_000,
        }),
      ),
    );
    if (latest.current.trim() !== typed) return;
    const hit = answers.flatMap((a, i) =>
      a.status === 'fulfilled'
        ? a.value.data.map((detail) => ({ dataclass: dataclassTypes[i]!, detail }))
        : [],
    )[0];
    if (hit) go(hit);
  }

  const empty =
    pending && found.length === 0
      ? 'Searching…'
      : settled && found.length === 0 && failed.length === 0
        ? isId
          ? 'No alert, incident or indicator has this ID'
          : `Nothing matches "${inertText(searchText)}"`
        : null;

  const status = searchText
    ? (empty ?? (pending ? '' : `${found.length} object${found.length === 1 ? '' : 's'} found`))
    : '';

  return (
    <>
      <Combobox store={combobox} onOptionSubmit={open} width={440} position="bottom-end">
        <Combobox.Target withExpandedAttribute>
          <InputBase
            aria-label="Find an object"
            placeholder="Find an object (ID or title)"
            size="xs"
            w={{ base: 170, xl: 240 }}
            value={text}
            onChange={(e) => {
              setText(e.currentTarget.value);
              latest.current = e.currentTarget.value;
              combobox.openDropdown();
              combobox.resetSelectedOption();
            }}
            onKeyDown={(e) => {
              // Enter with no highlighted option opens the first one found (a pasted ID's object).
              if (e.key !== 'Enter' || combobox.getSelectedOptionIndex() !== -1) return;
              e.preventDefault();
              const typed = text.trim();
              if (first && typed === searchText) go(first);
              else if (isWellFormedId(typed) || typed.length >= MIN_TEXT) void openFirstOf(typed);
            }}
            onFocus={() => {
              if (text.trim() !== '') combobox.openDropdown();
            }}
            onBlur={() => combobox.closeDropdown()}
            rightSection={pending ? <Loader size={14} aria-label="Searching" /> : null}
            rightSectionPointerEvents="none"
          />
        </Combobox.Target>
        <Combobox.Dropdown hidden={searchText === ''}>
          <Combobox.Options mah={360} style={{ overflowY: 'auto' }} aria-label="Objects found">
            {found.map((f) => {
              const id = objectIdOf(f.detail);
              const title = objectTitle(f.detail);
              const singular = dataclassLabels[f.dataclass].singular;
              return (
                <Combobox.Option
                  value={optionValue(f)}
                  key={optionValue(f)}
                  aria-label={`${singular} ${title} ${id}`}
                >
                  <Group gap={6} wrap="nowrap">
                    <Badge size="xs" variant="light" color={classBadgeColors[f.dataclass]}>
                      {singular}
                    </Badge>
                    <Text size="sm" lineClamp={1}>
                      {title}
                    </Text>
                  </Group>
                  <Text size="xs" c="dimmed" ff="monospace">
                    {id}
                  </Text>
                </Combobox.Option>
              );
            })}
            {failed.map((f) => (
              <Text key={f.dataclass} size="xs" c="red" px="xs" py={4}>
                {dataclassLabels[f.dataclass].plural} could not be searched:{' '}
                {describeError(f.error)}
              </Text>
            ))}
            {empty && <Combobox.Empty>{empty}</Combobox.Empty>}
          </Combobox.Options>
        </Combobox.Dropdown>
      </Combobox>
      <VisuallyHidden role="status">{status}</VisuallyHidden>
    </>
  );
}
