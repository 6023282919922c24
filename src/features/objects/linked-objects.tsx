import { Alert, Button, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { useT } from '../../i18n/i18n';
import { MAX_BATCH_IDS, type DataclassType } from '../../api/schemas';
import { ConfirmCancelModal } from '../../lib/confirm-cancel-modal';
import { ErrorText } from '../../lib/error-text';
import { LinkedTable, noSelection, TablePager, type LinkedSelection } from '../../lib/linked-table';
import { paths } from '../../lib/paths';
import { dataclassPlural, dataclassSingular } from '../../lib/words';
import { LINKED_PAGE_SIZE, objectsQueries } from './queries';

const SEARCH_DEBOUNCE_MS = 300;

/** What the app's move dialog is given when "Move selected" is pressed. */
export interface MoveDialogRequest {
  opened: boolean;
  onClose: () => void;
  workspaceId: string;
  /** The subject's class (the object of this page). */
  dataclass: DataclassType;
  /** The object of this page: the IDs move away from it. */
  sourceId: string;
  relatedClass: DataclassType;
  ids: string[];
  /** Titles of the selected IDs, where the table showed them. */
  titles: ReadonlyMap<string, string>;
}

export interface LinkedObjectsProps {
  projectId: string;
  workspaceId: string;
  /** The object of the page. */
  dataclass: DataclassType;
  objectId: string;
  /** The class of the linked objects this region lists. */
  related: DataclassType;
  /** Called with the cancel batch's ID once it was created. */
  onBatchCreated: (batchId: string) => void;
  /** The move dialog, supplied by the app (the moves feature); without it, no "Move selected". */
  renderMoveDialog?: ((request: MoveDialogRequest) => ReactNode) | undefined;
}

/**
 * A region "Linked alerts" (incidents, indicators): the objects of one class linked to the page's
 * object, paged and searched on the server, each row a link to its own page; a selection can be
 * cancelled, moved to another subject, and "Link more" opens the associate form on this object.
 */
export function LinkedObjects({
  projectId,
  workspaceId,
  dataclass,
  objectId,
  related,
  onBatchCreated,
  renderMoveDialog,
}: LinkedObjectsProps) {
  const t = useT();
  const headingId = useId();
  const plural = dataclassPlural(related);
  const [text, setText] = useState('');
  const [debounced] = useDebouncedValue(text.trim(), SEARCH_DEBOUNCE_MS);
  const [pageState, setPageState] = useState({ search: '', page: 1 });
  // A new search starts at its first page.
  const page = pageState.search === debounced ? pageState.page : 1;
  const [selected, setSelected] = useState<LinkedSelection>(noSelection);
  const [dialog, setDialog] = useState<'cancel' | 'move' | null>(null);
  // The move dialog is unmounted when it closes, before its own focus return could run.
  const moveButtonId = useId();

  const linked = useQuery({
    ...objectsQueries.linked(
      projectId,
      workspaceId,
      dataclass,
      objectId,
      related,
      debounced,
      (page - 1) * LINKED_PAGE_SIZE,
    ),
    placeholderData: keepPreviousData,
  });
  const rows = linked.data?.data ?? [];
  const total = linked.data?.total ?? rows.length;
  const count = selected.size;
  const tooMany = count > MAX_BATCH_IDS;
  const singular = dataclassSingular(dataclass);

  return (
    <Paper component="section" aria-labelledby={headingId} withBorder p="xs">
      <Stack gap="xs">
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Title order={2} size="h5" id={headingId}>
            {t('objects.linkedHeading', { plural })}
          </Title>
          <Text size="xs" c="dimmed" role="status">
            {linked.data && !linked.isPlaceholderData
              ? debounced
                ? t('objects.matchingCount', { count: total })
                : t('objects.linkedCount', { count: total })
              : ''}
            {count > 0 ? t('objects.selectedCount', { count }) : ''}
          </Text>
        </Group>

        <Group gap="xs" wrap="wrap" align="flex-end">
          <TextInput
            size="xs"
            w={280}
            aria-label={t('objects.searchLinked', { plural })}
            placeholder={
              related === 'indicators' ? t('objects.searchByName') : t('objects.searchByTitle')
            }
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
          />
          <Button
            size="xs"
            color="red"
            variant="light"
            disabled={count === 0 || tooMany}
            onClick={() => setDialog('cancel')}
          >
            {t('objects.cancelSelected', { count })}
          </Button>
          {renderMoveDialog && (
            <Button
              id={moveButtonId}
              size="xs"
              variant="light"
              disabled={count === 0 || tooMany}
              onClick={() => setDialog('move')}
            >
              {t('objects.moveSelected')}
            </Button>
          )}
          <Button
            size="xs"
            variant="default"
            component={Link}
            to={paths.associateWith(dataclass, objectId, related)}
          >
            {t('objects.linkMore')}
          </Button>
          {count > 0 && (
            <Button
              size="xs"
              variant="subtle"
              color="gray"
              onClick={() => setSelected(noSelection)}
            >
              {t('objects.clearSelection')}
            </Button>
          )}
        </Group>

        {linked.error && (
          <Alert color="red" p="xs" title={t('objects.linkedLoadError', { plural })}>
            <ErrorText error={linked.error} />
          </Alert>
        )}

        {linked.isSuccess && rows.length === 0 ? (
          <Text size="sm" c="dimmed">
            {debounced
              ? t('objects.noMatch', { singular: dataclassSingular(related), text: debounced })
              : t('objects.noneLinked', { plural, singular })}
          </Text>
        ) : (
          <LinkedTable
            related={related}
            rows={rows}
            selection={selected}
            onSelectionChange={setSelected}
            tableLabel={t('objects.linkedTable', { plural })}
            selectPageLabel={t('objects.selectPage', { plural })}
            pending={linked.isPending}
            fetching={linked.isFetching}
            stale={linked.isPlaceholderData}
          />
        )}

        <TablePager
          label={t('objects.linkedPages', { plural })}
          total={total}
          pageSize={LINKED_PAGE_SIZE}
          page={page}
          onChange={(p) => setPageState({ search: debounced, page: p })}
        />
      </Stack>

      <ConfirmCancelModal
        opened={dialog === 'cancel'}
        selection={selected}
        workspaceId={workspaceId}
        subject={{
          dataclass_type: dataclass,
          data_object_id: objectId,
          related_dataclass_type: related,
        }}
        onClose={() => setDialog(null)}
        onCreated={(batchId) => {
          setDialog(null);
          setSelected(noSelection);
          onBatchCreated(batchId);
        }}
      />
      {renderMoveDialog?.({
        opened: dialog === 'move',
        onClose: () => {
          setDialog(null);
          document.getElementById(moveButtonId)?.focus();
        },
        workspaceId,
        dataclass,
        sourceId: objectId,
        relatedClass: related,
        ids: [...selected.keys()],
        titles: selected,
      })}
    </Paper>
  );
}
