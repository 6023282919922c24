import { Alert, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { describeError } from '../../api/client';
import { shortId } from '../../api/format';
import { useT } from '../../i18n/i18n';
import { MAX_BATCH_IDS, type SubjectSelection } from '../../api/schemas';
import { dataclassLabel, dataclassPlural, dataclassSingular } from '../../lib/words';
import { ConfirmCancelModal } from '../../lib/confirm-cancel-modal';
import { LinkedTable, noSelection, TablePager, type LinkedSelection } from '../../lib/linked-table';
import {
  fetchAllRelated,
  RELATIONS_PAGE_SIZE,
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
  onMoveSelected?: (ids: string[], titles: ReadonlyMap<string, string>) => void;
}

interface Selection {
  /** The subject the selection belongs to: a new subject starts with nothing selected. */
  scope: string;
  ids: LinkedSelection;
  /** Set by "Select all N"; cleared by any change by hand. */
  all: boolean;
}

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
  const t = useT();
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
  const [selectionState, setSelection] = useState<Selection>({
    scope,
    ids: noSelection,
    all: false,
  });
  const selection: Selection =
    selectionState.scope === scope ? selectionState : { scope, ids: noSelection, all: false };
  const [selectingAll, setSelectingAll] = useState(false);
  const [selectAllError, setSelectAllError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);

  const relations = useQuery({
    ...relationsPageQuery(scopeObj, (page - 1) * RELATIONS_PAGE_SIZE, RELATIONS_PAGE_SIZE),
    placeholderData: keepPreviousData,
  });
  const rows = relations.data?.data ?? [];
  const total = relations.data?.total ?? rows.length;
  const selectedCount = selection.ids.size;
  const subjectLabel = dataclassSingular(subject.dataclass_type);

  function update(ids: LinkedSelection, all = false) {
    setSelection({ scope, ids, all });
  }

  async function selectAll() {
    setSelectingAll(true);
    setSelectAllError(null);
    try {
      update(await fetchAllRelated(queryClient, scopeObj), true);
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
            {t('relations.title')}
          </Title>
          <Text size="xs" c="dimmed">
            {t('relations.linkedTo', {
              plural: dataclassLabel(subject.related_dataclass_type),
              singular: subjectLabel,
              id: (
                <Text
                  span
                  ff="monospace"
                  size="xs"
                  title={subject.data_object_id}
                  translate="no"
                  key="id"
                >
                  {shortId(subject.data_object_id)}
                </Text>
              ),
            })}
            {relations.data ? t('relations.inTotal', { count: total }) : ''}
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
            {t('relations.selectAll', { count: total })}
          </Button>
          <Button
            size="xs"
            color="red"
            variant="light"
            disabled={selectedCount === 0 || tooMany}
            onClick={() => setConfirming(true)}
          >
            {t('relations.cancelSelected', { count: selectedCount })}
          </Button>
          {onMoveSelected && (
            <Button
              size="xs"
              variant="default"
              disabled={selectedCount === 0 || tooMany}
              onClick={() => onMoveSelected([...selection.ids.keys()], selection.ids)}
            >
              {t('relations.moveSelected')}
            </Button>
          )}
          {selectedCount > 0 && (
            <Button size="xs" variant="subtle" color="gray" onClick={() => update(noSelection)}>
              {t('relations.clearSelection')}
            </Button>
          )}
          <Text size="xs" c={tooMany ? 'red' : 'dimmed'} role="status">
            {selection.all
              ? t('relations.allSelected', { count: selectedCount })
              : selectedCount > 0
                ? t('relations.selected', { count: selectedCount })
                : ''}
            {tooMany ? t('relations.atMostPerBatch', { max: MAX_BATCH_IDS }) : ''}
          </Text>
        </Group>

        {selectAllError && (
          <Alert color="red" p="xs" title={t('relations.selectAllFailed')}>
            {selectAllError}
          </Alert>
        )}
        {relations.error && (
          <Alert color="red" p="xs" title={t('relations.loadFailed')}>
            {describeError(relations.error)}
          </Alert>
        )}

        {relations.isSuccess && total === 0 && rows.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('relations.nothingLinked', {
              singular: subjectLabel,
              plural: dataclassPlural(subject.related_dataclass_type),
            })}
          </Text>
        ) : (
          <LinkedTable
            related={subject.related_dataclass_type}
            rows={rows}
            selection={selection.ids}
            onSelectionChange={(next) => update(next)}
            tableLabel={t('relations.tableName', {
              plural: dataclassPlural(subject.related_dataclass_type),
            })}
            selectPageLabel={t('relations.selectPage')}
            pending={relations.isPending}
            fetching={relations.isFetching}
            stale={relations.isPlaceholderData}
          />
        )}

        <TablePager
          label={t('relations.pages')}
          total={total}
          pageSize={RELATIONS_PAGE_SIZE}
          page={page}
          onChange={(p) => setPageState({ scope, page: p })}
        />
      </Stack>

      <ConfirmCancelModal
        opened={confirming}
        selection={selection.ids}
        workspaceId={workspaceId}
        onClose={() => setConfirming(false)}
        onCreated={(batchId) => {
          setConfirming(false);
          update(noSelection);
          onBatchCreated(batchId);
        }}
        subject={subject}
      />
    </Paper>
  );
}
