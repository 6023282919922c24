import {
  Alert,
  Box,
  Button,
  Checkbox,
  Group,
  Pagination,
  Paper,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { describeError } from '../../api/client';
import { formatCount, inertText, shortId } from '../../api/format';
import {
  dataclassLabels,
  MAX_BATCH_IDS,
  type DataObjectDetail,
  type SubjectSelection,
} from '../../api/schemas';
import { ConfirmCancelModal } from '../../lib/confirm-cancel-modal';
import {
  fetchAllRelatedIds,
  RELATIONS_PAGE_SIZE,
  relatedObjectId,
  relationsPageQuery,
  type RelationsScope,
} from './queries';

export interface CurrentAssociationsProps {
  projectId: string;
  workspaceId: string;
  subject: SubjectSelection;
  /** Called with the cancel batch's ID once it was created. */
  onBatchCreated: (batchId: string) => void;
  /** When given, "Move selected" offers to move the selected IDs to another subject. */
  onMoveSelected?: (ids: string[]) => void;
}

interface Selection {
  /** The subject the selection belongs to: a new subject starts with nothing selected. */
  scope: string;
  ids: ReadonlySet<string>;
  /** Set by "Select all N"; cleared by any change by hand. */
  all: boolean;
}

const emptyIds: ReadonlySet<string> = new Set();

/**
 * The region "Current associations": what is linked to the subject now, with selection
 * (per row, per page, or every linked ID) and "Cancel association of N selected".
 * Its list lives under the query keys of `secmasterQueries.relations` (see ./queries.ts).
 */
export function CurrentAssociations({
  projectId,
  workspaceId,
  subject,
  onBatchCreated,
  onMoveSelected,
}: CurrentAssociationsProps) {
  const headingId = useId();
  const queryClient = useQueryClient();
  const scopeObj: RelationsScope = { projectId, workspaceId, subject };
  const scope = JSON.stringify([
    projectId,
    workspaceId,
    subject.dataclass_type,
    subject.data_object_id,
    subject.related_dataclass_type,
  ]);

  const [pageState, setPageState] = useState({ scope, page: 1 });
  const page = pageState.scope === scope ? pageState.page : 1;
  const [selectionState, setSelection] = useState<Selection>({ scope, ids: emptyIds, all: false });
  const selection: Selection =
    selectionState.scope === scope ? selectionState : { scope, ids: emptyIds, all: false };
  const [selectingAll, setSelectingAll] = useState(false);
  const [selectAllError, setSelectAllError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);

  const relations = useQuery({
    ...relationsPageQuery(scopeObj, (page - 1) * RELATIONS_PAGE_SIZE, RELATIONS_PAGE_SIZE),
    placeholderData: keepPreviousData,
  });
  const rows = relations.data?.data ?? [];
  const total = relations.data?.total ?? rows.length;
  const pages = Math.max(1, Math.ceil(total / RELATIONS_PAGE_SIZE));
  const pageIds = rows.map(relatedObjectId);
  const selectedOnPage = pageIds.filter((id) => selection.ids.has(id)).length;
  const selectedCount = selection.ids.size;
  const related = dataclassLabels[subject.related_dataclass_type];
  const subjectLabel = dataclassLabels[subject.dataclass_type].singular;

  function update(ids: Set<string>, all = false) {
    setSelection({ scope, ids, all });
  }

  function togglePage(checked: boolean) {
    const next = new Set(selection.ids);
    for (const id of pageIds) {
      if (checked) next.add(id);
      else next.delete(id);
    }
    update(next);
  }

  function toggleRow(id: string, checked: boolean) {
    const next = new Set(selection.ids);
    if (checked) next.add(id);
    else next.delete(id);
    update(next);
  }

  async function selectAll() {
    setSelectingAll(true);
    setSelectAllError(null);
    try {
      const ids = await fetchAllRelatedIds(queryClient, scopeObj);
      update(new Set(ids), true);
    } catch (err) {
      setSelectAllError(describeError(err));
    } finally {
      setSelectingAll(false);
    }
  }

  const tooMany = selectedCount > MAX_BATCH_IDS;

  return (
    <Paper component="section" aria-labelledby={headingId} withBorder p="xs">
      <Stack gap="xs">
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Title order={2} size="h5" id={headingId}>
            Current associations
          </Title>
          <Text size="xs" c="dimmed">
            {related.plural} linked to {subjectLabel}{' '}
            <Text span ff="monospace" size="xs" title={subject.data_object_id}>
              {shortId(subject.data_object_id)}
            </Text>
            {relations.data ? ` · ${formatCount(total)} in total` : ''}
          </Text>
        </Group>

        <Group gap="xs" wrap="wrap">
          <Button
            size="xs"
            variant="default"
            disabled={total === 0 || selectingAll}
            loading={selectingAll}
            onClick={() => void selectAll()}
          >
            {`Select all ${formatCount(total)}`}
          </Button>
          <Button
            size="xs"
            color="red"
            variant="light"
            disabled={selectedCount === 0 || tooMany}
            onClick={() => setConfirming(true)}
          >
            {`Cancel association of ${formatCount(selectedCount)} selected`}
          </Button>
          {onMoveSelected && (
            <Button
              size="xs"
              variant="default"
              disabled={selectedCount === 0 || tooMany}
              onClick={() => onMoveSelected([...selection.ids])}
            >
              Move selected
            </Button>
          )}
          {selectedCount > 0 && (
            <Button size="xs" variant="subtle" color="gray" onClick={() => update(new Set())}>
              Clear selection
            </Button>
          )}
          <Text size="xs" c={tooMany ? 'red' : 'dimmed'} role="status">
            {selection.all
              ? `All ${formatCount(selectedCount)} selected`
              : selectedCount > 0
                ? `${formatCount(selectedCount)} selected`
                : ''}
            {tooMany ? ` (at most ${formatCount(MAX_BATCH_IDS)} per batch)` : ''}
          </Text>
        </Group>

        {selectAllError && (
          <Alert color="red" p="xs" title="Could not select every linked object">
            {selectAllError}
          </Alert>
        )}
        {relations.error && (
          <Alert color="red" p="xs" title="The current associations could not be loaded">
            {describeError(relations.error)}
          </Alert>
        )}

        {relations.isSuccess && total === 0 && rows.length === 0 ? (
          <Text size="sm" c="dimmed">
            Nothing is linked to this {subjectLabel} yet ({related.plural.toLowerCase()}).
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={640}>
            <Table
              layout="fixed"
              striped
              highlightOnHover
              withTableBorder
              verticalSpacing={4}
              horizontalSpacing="xs"
              fz="xs"
              aria-label={`Linked ${related.plural.toLowerCase()}`}
              aria-busy={relations.isFetching}
              style={{ opacity: relations.isPlaceholderData ? 0.7 : 1 }}
            >
              <colgroup>
                <col style={{ width: 36 }} />
                <col style={{ width: '34%' }} />
                <col />
                <col style={{ width: 90 }} />
                <col style={{ width: 110 }} />
              </colgroup>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>
                    <Checkbox
                      size="xs"
                      aria-label="Select page"
                      checked={pageIds.length > 0 && selectedOnPage === pageIds.length}
                      indeterminate={selectedOnPage > 0 && selectedOnPage < pageIds.length}
                      disabled={pageIds.length === 0}
                      onChange={(e) => togglePage(e.currentTarget.checked)}
                    />
                  </Table.Th>
                  <Table.Th>ID</Table.Th>
                  <Table.Th>
                    {subject.related_dataclass_type === 'indicators' ? 'Name / value' : 'Title'}
                  </Table.Th>
                  <Table.Th>Severity</Table.Th>
                  <Table.Th>Status</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {relations.isPending ? (
                  <Table.Tr>
                    <Table.Td colSpan={5}>
                      <Text size="xs" c="dimmed">
                        Loading…
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ) : (
                  rows.map((detail) => (
                    <RelationRow
                      key={relatedObjectId(detail)}
                      detail={detail}
                      selected={selection.ids.has(relatedObjectId(detail))}
                      onToggle={toggleRow}
                    />
                  ))
                )}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}

        {total > RELATIONS_PAGE_SIZE && (
          <Group justify="flex-end">
            <Box component="nav" aria-label="Current associations pages">
              <Pagination
                size="sm"
                total={pages}
                value={Math.min(page, pages)}
                onChange={(p) => setPageState({ scope, page: p })}
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
        opened={confirming}
        count={selectedCount}
        relatedPlural={related.plural.toLowerCase()}
        subjectLabel={subjectLabel}
        subjectId={subject.data_object_id}
        workspaceId={workspaceId}
        onClose={() => setConfirming(false)}
        ids={selection.ids}
        onCreated={(batchId) => {
          setConfirming(false);
          update(new Set());
          onBatchCreated(batchId);
        }}
        subject={subject}
      />
    </Paper>
  );
}

function RelationRow({
  detail,
  selected,
  onToggle,
}: {
  detail: DataObjectDetail;
  selected: boolean;
  onToggle: (id: string, checked: boolean) => void;
}) {
  const id = relatedObjectId(detail);
  const o = detail.data_object;
  const title = inertText(o.title ?? o.name ?? detail.name ?? o.value ?? '');
  const severity = o.severity ?? '';
  const status = o.handle_status ?? o.status ?? '';
  // On a selected row's tint the coloured words fall under 4.5:1: bold in the body colour there.
  const severityColor =
    selected || !['Fatal', 'High'].includes(severity)
      ? undefined
      : severity === 'Fatal'
        ? 'red'
        : 'orange';
  const strong = severity === 'Fatal' || severity === 'High';
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
      <Table.Td
        style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}
        title={id}
      >
        <Text span ff="monospace" size="xs">
          {id}
        </Text>
      </Table.Td>
      <Table.Td
        style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}
        title={title}
      >
        {title}
      </Table.Td>
      <Table.Td>
        <Text span size="xs" c={severityColor} fw={strong ? 600 : undefined}>
          {severity}
        </Text>
      </Table.Td>
      <Table.Td>{status}</Table.Td>
    </Table.Tr>
  );
}
