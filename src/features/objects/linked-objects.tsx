import { Alert, Button, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { describeError } from '../../api/client';
import { formatCount } from '../../api/format';
import { dataclassLabels, MAX_BATCH_IDS, type DataclassType } from '../../api/schemas';
import { ConfirmCancelModal } from '../../lib/confirm-cancel-modal';
import { LinkedTable, noSelection, TablePager, type LinkedSelection } from '../../lib/linked-table';
import { paths } from '../../lib/paths';
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
  const headingId = useId();
  const labels = dataclassLabels[related];
  const plural = labels.plural.toLowerCase();
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
  const singular = dataclassLabels[dataclass].singular;

  return (
    <Paper component="section" aria-labelledby={headingId} withBorder p="xs">
      <Stack gap="xs">
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Title order={2} size="h5" id={headingId}>
            {`Linked ${plural}`}
          </Title>
          <Text size="xs" c="dimmed" role="status">
            {linked.data && !linked.isPlaceholderData
              ? debounced
                ? `${formatCount(total)} matching`
                : `${formatCount(total)} linked`
              : ''}
            {count > 0 ? ` · ${formatCount(count)} selected` : ''}
          </Text>
        </Group>

        <Group gap="xs" wrap="wrap" align="flex-end">
          <TextInput
            size="xs"
            w={280}
            aria-label={`Search linked ${plural}`}
            placeholder={
              related === 'indicators' ? 'Name contains… or ID' : 'Title contains… or ID'
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
            {`Cancel association of ${formatCount(count)} selected`}
          </Button>
          {renderMoveDialog && (
            <Button
              id={moveButtonId}
              size="xs"
              variant="light"
              disabled={count === 0 || tooMany}
              onClick={() => setDialog('move')}
            >
              Move selected
            </Button>
          )}
          <Button
            size="xs"
            variant="default"
            component={Link}
            to={paths.associateWith(dataclass, objectId, related)}
          >
            Link more
          </Button>
          {count > 0 && (
            <Button
              size="xs"
              variant="subtle"
              color="gray"
              onClick={() => setSelected(noSelection)}
            >
              Clear selection
            </Button>
          )}
        </Group>

        {linked.error && (
          <Alert color="red" p="xs" title={`The linked ${plural} could not be loaded`}>
            {describeError(linked.error)}
          </Alert>
        )}

        {linked.isSuccess && rows.length === 0 ? (
          <Text size="sm" c="dimmed">
            {debounced
              ? `No linked ${labels.singular} matches "${debounced}".`
              : `No ${plural} are linked to this ${singular}.`}
          </Text>
        ) : (
          <LinkedTable
            related={related}
            rows={rows}
            selection={selected}
            onSelectionChange={setSelected}
            tableLabel={`Linked ${plural} table`}
            selectPageLabel={`Select page of linked ${plural}`}
            pending={linked.isPending}
            fetching={linked.isFetching}
            stale={linked.isPlaceholderData}
          />
        )}

        <TablePager
          label={`Linked ${plural} pages`}
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
