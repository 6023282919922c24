import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { describeError } from '../../api/client';
import { useCreateBatch } from '../../api/console-queries';
import { formatCount } from '../../api/format';
import type { BatchSummary, CreateBatchRequest } from '../../api/schemas';
import { copyText, downloadText } from './clipboard';
import { itemsToCsv } from './csv';
import { fetchAllBatchItems, fetchBatchIdsInState } from './queries';

type Busy = null | 'retry' | 'copy' | 'export';

/** "Retry failed", "Copy failed IDs" and "Export CSV" for one batch. */
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
  const failed = batch.counts.failed;

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

  const exportCsv = () =>
    run('export', async () => {
      const items = await fetchAllBatchItems(batch.id);
      downloadText(`batch-${batch.id}.csv`, itemsToCsv(items), 'text/csv;charset=utf-8');
      setNotice(`Exported ${formatCount(items.length)} rows`);
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
        <Button
          size="xs"
          variant="default"
          disabled={batch.total === 0 || busy !== null}
          loading={busy === 'export'}
          onClick={() => void exportCsv()}
        >
          Export CSV
        </Button>
      </Group>
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
