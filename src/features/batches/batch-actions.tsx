import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { describeError } from '../../api/client';
import { batchExportUrl, useCreateBatch } from '../../api/console-queries';
import { formatCount } from '../../api/format';
import type { BatchExportFormat, BatchSummary, CreateBatchRequest } from '../../api/schemas';
import { copyText } from '../../lib/clipboard';
import { fetchBatchIdsInState, isActiveBatchState } from './queries';
import { UndoDialog } from './undo-dialog';

type Busy = null | 'retry' | 'copy';

/**
 * "Retry failed", "Copy failed IDs", "Export CSV", "Export JSON" and "Undo batch" for one batch.
 * Exports are downloads of the server's streamed export, so 100,000 rows never sit in the tab.
 */
export function BatchActions({
  batch,
  onBatchCreated,
}: {
  batch: BatchSummary;
  onBatchCreated: (batchId: string) => void;
}) {
  const createBatch = useCreateBatch();
  const [busy, setBusy] = useState<Busy>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [undoing, setUndoing] = useState(false);
  const failed = batch.counts.failed;
  const canUndo = !isActiveBatchState(batch.state) && batch.counts.succeeded > 0;

  async function run(kind: Exclude<Busy, null>, work: () => Promise<void>) {
    setBusy(kind);
    setError(null);
    setNotice(null);
    try {
      await work();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  }

  const retryFailed = () =>
    run('retry', async () => {
      const ids = await fetchBatchIdsInState(batch.id, 'failed');
      if (ids.length === 0) {
        setNotice('No failed IDs to retry.');
        return;
      }
      const body: CreateBatchRequest = {
        action: batch.action,
        workspace_id: batch.workspace_id,
        dataclass_type: batch.dataclass_type,
        data_object_id: batch.data_object_id,
        related_dataclass_type: batch.related_dataclass_type,
        ids,
        retry_of: batch.id,
        ...(batch.reason ? { reason: batch.reason } : {}),
      };
      createBatch.mutate(body, { onSuccess: (created) => onBatchCreated(created.id) });
    });

  const copyFailed = () =>
    run('copy', async () => {
      const ids = await fetchBatchIdsInState(batch.id, 'failed');
      await copyText(ids.join('\n'));
      setNotice(`Copied ${formatCount(ids.length)} IDs`);
    });

  const mutationError = createBatch.error ? describeError(createBatch.error) : null;
  const shownError = error ?? mutationError;

  return (
    <Stack gap={4} align="flex-end">
      <Group gap="xs" role="group" aria-label="Result actions">
        <Button
          size="xs"
          variant="light"
          disabled={failed === 0 || busy !== null || createBatch.isPending}
          loading={busy === 'retry' || createBatch.isPending}
          onClick={() => void retryFailed()}
        >
          Retry failed
        </Button>
        <Button
          size="xs"
          variant="default"
          disabled={failed === 0 || busy !== null}
          loading={busy === 'copy'}
          onClick={() => void copyFailed()}
        >
          Copy failed IDs
        </Button>
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
              : isActiveBatchState(batch.state)
                ? 'Stop the batch or let it finish first'
                : 'No ID succeeded: nothing to undo'
          }
          onClick={() => setUndoing(true)}
        >
          Undo batch
        </Button>
      </Group>
      <UndoDialog
        batch={batch}
        opened={undoing}
        onClose={() => setUndoing(false)}
        onBatchCreated={onBatchCreated}
      />
      <Text size="xs" c="dimmed" role="status" mih={18}>
        {notice ?? ''}
      </Text>
      {shownError && (
        <Alert color="red" p="xs" title="The action failed" maw={520}>
          {shownError}
        </Alert>
      )}
    </Stack>
  );
}

/**
 * A download of the server's export. An anchor (the browser streams it to disk, no script needed)
 * that keeps the button role of the result actions (DESIGN.md §6), Space included.
 */
function ExportLink({ batch, format }: { batch: BatchSummary; format: BatchExportFormat }) {
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
      {format === 'csv' ? 'Export CSV' : 'Export JSON'}
    </Button>
  );
}
