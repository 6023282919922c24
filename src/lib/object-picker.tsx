import {
  Badge,
  Combobox,
  Group,
  InputBase,
  Loader,
  Paper,
  Stack,
  Text,
  useCombobox,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import { inertText } from '../api/format';
import { secmasterQueries } from '../api/secmaster-queries';
import {
  isWellFormedId,
  type DataclassType,
  type DataObjectDetail,
  type DataobjectSearch,
} from '../api/schemas';
import { t, useT } from '../i18n/i18n';
import { ErrorText } from './error-text';
import { SeverityText, StatusText } from './secmaster-values';
import { dataclassSingular } from './words';

const SEARCH_LIMIT = 20;

/**
 * The words an analyst recognises an object by: title (alerts, incidents) or name/value
 * (indicators), with right-to-left overrides and other bidi controls made visible and inert.
 */
export function objectTitle(detail: DataObjectDetail): string {
  const o = detail.data_object;
  return inertText(o.title ?? detail.name ?? o.name ?? o.value ?? detail.id);
}

function objectStatus(detail: DataObjectDetail): string | null {
  return detail.data_object.handle_status ?? detail.data_object.status ?? null;
}

/** An option's second line: severity · status · ID (the ID as data). */
function ObjectFacts({ detail }: { detail: DataObjectDetail }) {
  const severity = detail.data_object.severity;
  const status = objectStatus(detail);
  return (
    <>
      {severity ? (
        <>
          <SeverityText value={severity} />
          {' · '}
        </>
      ) : null}
      {status ? (
        <>
          <StatusText value={status} />
          {' · '}
        </>
      ) : null}
      <Text span inherit ff="monospace" translate="no">
        {detail.id}
      </Text>
    </>
  );
}

const severityColors: Record<string, string> = {
  Fatal: 'red',
  High: 'orange',
  Medium: 'yellow',
  Low: 'blue',
  Tips: 'gray',
};

/** Title contains (alerts, incidents); indicators are found by name. */
export function searchBody(dataclass: DataclassType, text: string): DataobjectSearch {
  const field = dataclass === 'indicators' ? 'name' : 'title';
  return {
    limit: SEARCH_LIMIT,
    offset: 0,
    condition: { conditions: [{ name: field, data: [field, 'contains', text] }], logics: [field] },
  };
}

function lookupMessage(err: unknown, dataclass: DataclassType): ReactNode {
  if (err instanceof ApiError && (err.status === 404 || err.code === 'SecMaster.20030005')) {
    return t('common.noSuchObject', { what: dataclassSingular(dataclass) });
  }
  return <ErrorText error={err} />;
}

/**
 * A combobox that picks one object of a class in a workspace: search its title, or paste its ID
 * (resolved at once, and chosen when it exists). The associate form's "Subject object" and the
 * move's "Destination" are both this picker.
 */
export function ObjectPicker(props: {
  projectId: string;
  workspaceId: string;
  dataclass: DataclassType;
  value: string;
  onChange: (id: string) => void;
  error?: string | undefined;
  /** The combobox's name; "Subject object" by default. */
  label?: string;
  /** Names the card of the chosen object; "Chosen <class>" by default. */
  cardLabel?: string;
}) {
  const { projectId, workspaceId, dataclass, value, onChange } = props;
  const t = useT();
  const label = props.label ?? t('common.subjectObject');
  const queryClient = useQueryClient();
  const combobox = useCombobox({ onDropdownClose: () => combobox.resetSelectedOption() });
  /** What the analyst typed since the last choice; null shows the chosen object. */
  const [typed, setTyped] = useState<string | null>(null);
  const [lookup, setLookup] = useState<{ pending: boolean; error: ReactNode }>({
    pending: false,
    error: null,
  });
  const latestTyped = useRef<string | null>(null);
  const [debounced] = useDebouncedValue((typed ?? '').trim(), 300);

  const chosen = useQuery({
    ...secmasterQueries.object(projectId, workspaceId, dataclass, value),
    enabled: isWellFormedId(value),
    // Chosen from search results, the object is already in the cache; titles rarely change.
    staleTime: 5 * 60_000,
  });
  const searchText = debounced.length >= 2 && !isWellFormedId(debounced) ? debounced : '';
  const search = useQuery({
    ...secmasterQueries.search(
      projectId,
      workspaceId,
      dataclass,
      searchBody(dataclass, searchText),
    ),
    enabled: searchText !== '' && typed !== null,
  });

  const choose = (detail: DataObjectDetail) => {
    queryClient.setQueryData(
      secmasterQueries.object(projectId, workspaceId, dataclass, detail.id).queryKey,
      {
        data: detail,
      },
    );
    latestTyped.current = null;
    setTyped(null);
    setLookup({ pending: false, error: null });
    onChange(detail.id);
    combobox.closeDropdown();
  };

  const handleInput = (next: string) => {
    setTyped(next);
    latestTyped.current = next;
    setLookup({ pending: false, error: null });
    if (value) onChange('');
    const id = next.trim();
    if (isWellFormedId(id)) {
      // A pasted ID is resolved at once and chosen when it exists.
      setLookup({ pending: true, error: null });
      queryClient.fetchQuery(secmasterQueries.object(projectId, workspaceId, dataclass, id)).then(
        (res) => {
          if (latestTyped.current === next) choose(res.data);
        },
        (err: unknown) => {
          if (latestTyped.current === next)
            setLookup({ pending: false, error: lookupMessage(err, dataclass) });
        },
      );
      return;
    }
    combobox.openDropdown();
    combobox.updateSelectedOptionIndex();
  };

  const chosenDetail = chosen.data?.data;
  const shown = typed ?? (value ? (chosenDetail ? objectTitle(chosenDetail) : value) : '');
  const results = typed !== null && searchText !== '' ? (search.data?.data ?? []) : [];
  const loading = lookup.pending || (search.isFetching && searchText !== '');
  const singular = dataclassSingular(dataclass);
  const error =
    lookup.error ??
    (chosen.isError ? lookupMessage(chosen.error, dataclass) : null) ??
    (search.isError ? <ErrorText error={search.error} /> : null) ??
    props.error;

  return (
    <Stack gap={6}>
      <Combobox
        store={combobox}
        onOptionSubmit={(id) => {
          const detail = results.find((d) => d.id === id);
          if (detail) choose(detail);
        }}
      >
        <Combobox.Target withExpandedAttribute>
          <InputBase
            label={label}
            description={t('common.pickerHint', { what: singular })}
            placeholder={t('common.pickerPlaceholder')}
            size="sm"
            value={shown}
            onChange={(e) => handleInput(e.currentTarget.value)}
            onFocus={() => {
              if (results.length > 0) combobox.openDropdown();
            }}
            onBlur={() => combobox.closeDropdown()}
            rightSection={loading ? <Loader size="xs" /> : <Combobox.Chevron />}
            rightSectionPointerEvents="none"
            error={error}
          />
        </Combobox.Target>
        <Combobox.Dropdown hidden={typed === null || searchText === ''}>
          <Combobox.Options mah={280} style={{ overflowY: 'auto' }}>
            {results.map((d) => (
              <Combobox.Option value={d.id} key={d.id}>
                <Text size="sm" lineClamp={1} translate="no">
                  {objectTitle(d)}
                </Text>
                <Text size="xs" c="dimmed">
                  <ObjectFacts detail={d} />
                </Text>
              </Combobox.Option>
            ))}
            {results.length === 0 && (
              <Combobox.Empty>
                {search.isFetching
                  ? t('common.searching')
                  : t('common.noMatches', { what: singular })}
              </Combobox.Empty>
            )}
          </Combobox.Options>
        </Combobox.Dropdown>
      </Combobox>
      {value && chosenDetail ? (
        <SubjectCard detail={chosenDetail} dataclass={dataclass} label={props.cardLabel} />
      ) : null}
    </Stack>
  );
}

export function SubjectCard({
  detail,
  dataclass,
  label,
}: {
  detail: DataObjectDetail;
  dataclass: DataclassType;
  label?: string | undefined;
}) {
  const t = useT();
  const severity = detail.data_object.severity;
  const status = objectStatus(detail);
  return (
    <Paper
      withBorder
      p="xs"
      radius="sm"
      aria-label={label ?? t('common.chosen', { what: dataclassSingular(dataclass) })}
    >
      <Text size="sm" fw={500} lineClamp={2} translate="no">
        {objectTitle(detail)}
      </Text>
      <Group gap="xs" mt={4}>
        {severity ? (
          <Badge size="xs" variant="light" color={severityColors[severity] ?? 'gray'}>
            <SeverityText value={severity} />
          </Badge>
        ) : null}
        {status ? (
          <Text size="xs" c="dimmed">
            <StatusText value={status} />
          </Text>
        ) : null}
        <Text size="xs" ff="monospace" style={{ wordBreak: 'break-all' }} translate="no">
          {detail.id}
        </Text>
      </Group>
    </Paper>
  );
}
