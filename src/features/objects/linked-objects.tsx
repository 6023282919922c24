import {
  Alert,
  Anchor,
  Box,
  Button,
  Checkbox,
  Group,
  Pagination,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { describeError } from '../../api/client';
import { formatCount } from '../../api/format';
import {
  dataclassLabels,
  MAX_BATCH_IDS,
  type DataclassType,
  type DataObjectDetail,
} from '../../api/schemas';
import { ConfirmCancelModal } from '../../lib/confirm-cancel-modal';
import { paths } from '../../lib/paths';
import { objectTitle } from './find-object';
import { LINKED_PAGE_SIZE, objectIdOf, objectsQueries } from './queries';

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

const severityColors: Record<string, string> = { Fatal: 'red', High: 'orange' };

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
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [dialog, setDialog] = useState<'cancel' | 'move' | null>(null);

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
  const pages = Math.max(1, Math.ceil(total / LINKED_PAGE_SIZE));
  const pageIds = rows.map(objectIdOf);
  const selectedOnPage = pageIds.filter((id) => selected.has(id)).length;
  const count = selected.size;
  const tooMany = count > MAX_BATCH_IDS;
  const singular = dataclassLabels[dataclass].singular;

  function toggle(ids: string[], checked: boolean) {
    const next = new Set(selected);
    for (const id of ids) {
      if (checked) next.add(id);
      else next.delete(id);
    }
    setSelected(next);
  }

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
            <Button size="xs" variant="subtle" color="gray" onClick={() => setSelected(new Set())}>
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
          <Table.ScrollContainer minWidth={560}>
            <Table
              layout="fixed"
              striped
              highlightOnHover
              withTableBorder
              verticalSpacing={4}
              horizontalSpacing="xs"
              fz="xs"
              aria-label={`Linked ${plural} table`}
              aria-busy={linked.isFetching}
              style={{ opacity: linked.isPlaceholderData ? 0.7 : 1 }}
            >
              <colgroup>
                <col style={{ width: 36 }} />
                <col />
                <col style={{ width: '36%' }} />
                <col style={{ width: 80 }} />
                <col style={{ width: 100 }} />
              </colgroup>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>
                    <Checkbox
                      size="xs"
                      aria-label={`Select page of linked ${plural}`}
                      checked={pageIds.length > 0 && selectedOnPage === pageIds.length}
                      indeterminate={selectedOnPage > 0 && selectedOnPage < pageIds.length}
                      disabled={pageIds.length === 0}
                      onChange={(e) => toggle(pageIds, e.currentTarget.checked)}
                    />
                  </Table.Th>
                  <Table.Th>{related === 'indicators' ? 'Name / value' : 'Title'}</Table.Th>
                  <Table.Th>ID</Table.Th>
                  <Table.Th>Severity</Table.Th>
                  <Table.Th>Status</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {linked.isPending ? (
                  <Table.Tr>
                    <Table.Td colSpan={5}>
                      <Text size="xs" c="dimmed">
                        Loading…
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ) : (
                  rows.map((detail) => (
                    <LinkedRow
                      key={objectIdOf(detail)}
                      related={related}
                      detail={detail}
                      selected={selected.has(objectIdOf(detail))}
                      onToggle={(id, checked) => toggle([id], checked)}
                    />
                  ))
                )}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}

        {total > LINKED_PAGE_SIZE && (
          <Group justify="flex-end">
            <Box component="nav" aria-label={`Linked ${plural} pages`}>
              <Pagination
                size="sm"
                total={pages}
                value={Math.min(page, pages)}
                onChange={(p) => setPageState({ search: debounced, page: p })}
                withEdges
                getControlProps={(control) => ({
                  'aria-label': `${control[0]?.toUpperCase()}${control.slice(1)} page`,
                })}
                getItemProps={(n) => ({ 'aria-label': `Page ${n}` })}
              />
            </Box>
          </Group>
        )}
      </Stack>

      <ConfirmCancelModal
        opened={dialog === 'cancel'}
        count={count}
        ids={selected}
        relatedPlural={plural}
        subjectLabel={singular}
        subjectId={objectId}
        workspaceId={workspaceId}
        subject={{
          dataclass_type: dataclass,
          data_object_id: objectId,
          related_dataclass_type: related,
        }}
        onClose={() => setDialog(null)}
        onCreated={(batchId) => {
          setDialog(null);
          setSelected(new Set());
          onBatchCreated(batchId);
        }}
      />
      {renderMoveDialog?.({
        opened: dialog === 'move',
        onClose: () => setDialog(null),
        workspaceId,
        dataclass,
        sourceId: objectId,
        relatedClass: related,
        ids: [...selected],
      })}
    </Paper>
  );
}

function LinkedRow({
  related,
  detail,
  selected,
  onToggle,
}: {
  related: DataclassType;
  detail: DataObjectDetail;
  selected: boolean;
  onToggle: (id: string, checked: boolean) => void;
}) {
  const id = objectIdOf(detail);
  const o = detail.data_object;
  const title = objectTitle(detail);
  const severity = o.severity ?? '';
  const status = o.handle_status ?? o.status ?? '';
  const severityColor = severityColors[severity];
  const ellipsis = { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } as const;
  return (
    <Table.Tr bg={selected ? 'var(--mantine-primary-color-light)' : undefined}>
      <Table.Td>
        <Checkbox
          size="xs"
          aria-label={`Select ${id}`}
          checked={selected}
          onChange={(e) => onToggle(id, e.currentTarget.checked)}
        />
      </Table.Td>
      <Table.Td style={ellipsis} title={title}>
        <Anchor component={Link} to={paths.object(related, id)} size="xs">
          {title}
        </Anchor>
      </Table.Td>
      <Table.Td style={ellipsis} title={id}>
        <Text span ff="monospace" size="xs">
          {id}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text span size="xs" c={severityColor} fw={severityColor ? 600 : undefined}>
          {severity}
        </Text>
      </Table.Td>
      <Table.Td>{status}</Table.Td>
    </Table.Tr>
  );
}
