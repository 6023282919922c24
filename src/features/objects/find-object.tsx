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
import { useId, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { inertText } from '../../api/format';
import {
  dataclassTypes,
  isWellFormedId,
  type DataclassType,
  type DataObjectDetail,
} from '../../api/schemas';
import { useT } from '../../i18n/i18n';
import { ErrorText } from '../../lib/error-text';
import { paths } from '../../lib/paths';
import { dataclassLabel, dataclassSingular } from '../../lib/words';
import { objectIdOf, objectsQueries } from './queries';

const DEBOUNCE_MS = 250;
/**
 * The list's width: 440 px where there is room, else the window less a margin on each side (a
 * phone's 390 px window would otherwise scroll sideways).
 */
const LIST_WIDTH = 'min(440px, calc(100vw - 16px))';
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
  const t = useT();
  const optionIds = useId();
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
      ? t('find.searchingNow')
      : settled && found.length === 0 && failed.length === 0
        ? isId
          ? t('find.noSuchId')
          : t('find.nothingMatches', {
              text: (
                <span key="text" translate="no">
                  {inertText(searchText)}
                </span>
              ),
            })
        : null;

  const status = searchText
    ? (empty ?? (pending ? '' : t('find.foundCount', { count: found.length })))
    : '';

  return (
    <>
      <Combobox store={combobox} onOptionSubmit={open} width={LIST_WIDTH} position="bottom-end">
        <Combobox.Target withExpandedAttribute>
          <InputBase
            aria-label={t('find.label')}
            placeholder={t('find.placeholder')}
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
            rightSection={pending ? <Loader size={14} aria-label={t('find.searching')} /> : null}
            rightSectionPointerEvents="none"
          />
        </Combobox.Target>
        <Combobox.Dropdown hidden={searchText === ''}>
          <Combobox.Options
            mah={360}
            style={{ overflowY: 'auto' }}
            aria-label={t('find.objectsFound')}
          >
            {found.map((f, i) => {
              const id = objectIdOf(f.detail);
              const title = objectTitle(f.detail);
              const singular = dataclassSingular(f.dataclass);
              // Named "alert <title> <ID>" by its parts, so that the title and ID (data) are
              // marked untranslated where they show.
              const part = `${optionIds}-${i}`;
              return (
                <Combobox.Option
                  value={optionValue(f)}
                  key={optionValue(f)}
                  aria-labelledby={`${part}-class ${part}-title ${part}-id`}
                >
                  <Group gap={6} wrap="nowrap">
                    <Badge
                      id={`${part}-class`}
                      size="xs"
                      variant="light"
                      color={classBadgeColors[f.dataclass]}
                    >
                      {singular}
                    </Badge>
                    <Text id={`${part}-title`} size="sm" lineClamp={1} translate="no">
                      {title}
                    </Text>
                  </Group>
                  <Text id={`${part}-id`} size="xs" c="dimmed" ff="monospace" translate="no">
                    {id}
                  </Text>
                </Combobox.Option>
              );
            })}
            {failed.map((f) => (
              <Text key={f.dataclass} size="xs" c="red" px="xs" py={4}>
                {t('find.classFailed', {
                  what: dataclassLabel(f.dataclass),
                  reason: <ErrorText key="reason" error={f.error} />,
                })}
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
