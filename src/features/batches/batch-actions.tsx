import { Alert, Anchor, Button, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { batchExportUrl } from '../../api/console-queries';
import { shortId } from '../../api/format';
import { t as translate, useT } from '../../i18n/i18n';
import type { BatchExportFormat, BatchSummary } from '../../api/schemas';
import { isBatchActive } from '../../lib/batch-states';
import { copyText } from '../../lib/clipboard';
import { ErrorText } from '../../lib/error-text';
import { paths } from '../../lib/paths';
import { fetchBatchIdsInState } from './queries';
import { RetryDialog } from './retry-dialog';
import { UndoDialog } from './undo-dialog';

/** The states whose IDs can be copied from the result actions. */
type CopyState = 'failed' | 'skipped';

/**
 * "Retry failed", "Copy failed IDs", "Copy skipped IDs", "Export CSV", "Export JSON" and "Undo
 * batch" for one batch. Exports are downloads of the server's streamed export, so 100,000 rows
 * never sit in the tab; copies read the IDs of one state from the server.
 */
export function BatchActions({
  batch,
  onBatchCreated,
}: {
  batch: BatchSummary;
  onBatchCreated: (batchId: string) => void;
}) {
  const t = useT();
  const [copying, setCopying] = useState<CopyState | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [dialog, setDialog] = useState<null | 'retry' | 'undo'>(null);
  const { failed, unknown, skipped, succeeded } = batch.counts;
  const active = isBatchActive(batch.state);
  // The server refuses to retry an interrupted batch: its unsent IDs are resumed, not retried.
  const interrupted = batch.state === 'interrupted';
  // A move's batch is retried and undone through its move (the server refuses it on its own).
  const moveId = batch.group_kind === 'move' ? (batch.group_id ?? null) : null;
  const ofMove = moveId === null ? null : shortId(moveId);
  const canRetry = !ofMove && !active && !interrupted && failed + unknown + skipped > 0;
  const undoneBy = batch.undone_by ?? null;
  const canUndo = !ofMove && !active && succeeded > 0 && undoneBy === null;

  const copyIds = async (state: CopyState) => {
    setCopying(state);
    setError(null);
    setNotice(null);
    try {
      const ids = await fetchBatchIdsInState(batch.id, state);
      await copyText(ids.join('\n'));
      setNotice(translate('batches.copiedIds', { count: ids.length }));
    } catch (err) {
      setError(err);
    } finally {
      setCopying(null);
    }
  };

  return (
    <Stack gap={4} align="flex-end">
      <Group gap="xs" role="group" aria-label={t('batches.resultActions')}>
        <Button
          size="xs"
          variant="light"
          disabled={!canRetry}
          title={
            canRetry
              ? undefined
              : ofMove
                ? t('batches.retryOfMoveTitle', { move: ofMove })
                : active
                  ? t('batches.finishFirst')
                  : interrupted
                    ? t('batches.retryInterruptedTitle')
                    : t('batches.nothingToRetryTitle')
          }
          onClick={() => setDialog('retry')}
        >
          {t('batches.retryFailed')}
        </Button>
        <Button
          size="xs"
          variant="default"
          disabled={failed === 0 || copying !== null}
          loading={copying === 'failed'}
          onClick={() => void copyIds('failed')}
        >
          {t('batches.copyFailedIds')}
        </Button>
        {skipped > 0 && (
          <Button
            size="xs"
            variant="default"
            disabled={copying !== null}
            loading={copying === 'skipped'}
            onClick={() => void copyIds('skipped')}
          >
            {t('batches.copySkippedIds')}
          </Button>
        )}
        <ExportLink batch={batch} format="csv" />
        <ExportLink batch={batch} format="json" />
        <Button
          size="xs"
          variant="light"
          color="orange"
          disabled={!canUndo}
          title={
            canUndo
              ? undefined
              : ofMove
                ? t('batches.undoOfMoveTitle', { move: ofMove })
                : active
                  ? t('batches.finishFirst')
                  : undoneBy !== null
                    ? t('batches.alreadyUndoneTitle', { by: shortId(undoneBy) })
                    : t('batches.nothingToUndoTitle')
          }
          onClick={() => setDialog('undo')}
        >
          {t('batches.undoBatch')}
        </Button>
      </Group>
      {moveId !== null && (
        <Text size="xs" c="dimmed" maw={520}>
          {t('batches.phaseOfMove', {
            link: (
              <Anchor key="link" component={Link} to={paths.move(moveId)} size="xs">
                {t('batches.moveLink', {
                  id: (
                    <span key="id" translate="no">
                      {shortId(moveId)}
                    </span>
                  ),
                })}
              </Anchor>
            ),
          })}
        </Text>
      )}
      <RetryDialog
        batch={batch}
        opened={dialog === 'retry'}
        onClose={() => setDialog(null)}
        onBatchCreated={onBatchCreated}
      />
      <UndoDialog
        batch={batch}
        opened={dialog === 'undo'}
        onClose={() => setDialog(null)}
        onBatchCreated={onBatchCreated}
      />
      <Text size="xs" c="dimmed" role="status" mih={18}>
        {notice ?? ''}
      </Text>
      {error != null && (
        <Alert color="red" p="xs" title={t('batches.actionFailed')} maw={520}>
          <ErrorText error={error} />
        </Alert>
      )}
    </Stack>
  );
}

/**
 * A download of the server's export. An anchor (the browser streams it to disk, no script needed)
 * that keeps the button role of the other result actions, Space included.
 */
function ExportLink({ batch, format }: { batch: BatchSummary; format: BatchExportFormat }) {
  const t = useT();
  return (
    <Button
      component="a"
      role="button"
      size="xs"
      variant="default"
      href={batchExportUrl(batch.id, format)}
      download={`batch-${batch.id}.${format}`}
      onKeyDown={(e) => {
        if (e.key === ' ') {
          e.preventDefault();
          e.currentTarget.click();
        }
      }}
    >
      {t(format === 'csv' ? 'batches.exportCsv' : 'batches.exportJson')}
    </Button>
  );
}
