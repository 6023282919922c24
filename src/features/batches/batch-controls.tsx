import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useBatchControl, type BatchControl } from '../../api/console-queries';
import type { BatchSummary } from '../../api/schemas';
import { canPauseBatch, canResumeBatch } from '../../lib/batch-states';
import { ConfirmDialog } from '../../lib/confirm-dialog';
import { ErrorText } from '../../lib/error-text';
import { useT } from '../../i18n/i18n';
import { BatchSubjectLine } from './batch-dialog';

/**
 * "Pause batch", "Resume batch" and "Stop batch". Stopping asks first: the IDs not sent yet become
 * Skipped, and a stopped batch cannot be resumed.
 */
export function BatchControls({ batch }: { batch: BatchSummary }) {
  const t = useT();
  const control = useBatchControl();
  const [confirmingStop, setConfirmingStop] = useState(false);
  const unsent = batch.counts.pending;

  const send = (which: BatchControl) =>
    control.mutate({ id: batch.id, control: which }, { onSuccess: () => setConfirmingStop(false) });
  const busy = control.isPending;

  return (
    <Stack gap={4}>
      <Group gap="xs" role="group" aria-label={t('batches.controls')}>
        {canPauseBatch(batch.state) && (
          <Button
            size="xs"
            variant="default"
            loading={busy && control.variables.control === 'pause'}
            disabled={busy}
            onClick={() => send('pause')}
          >
            {t('batches.pause')}
          </Button>
        )}
        {canResumeBatch(batch.state) && (
          <Button
            size="xs"
            variant="light"
            loading={busy && control.variables.control === 'resume'}
            disabled={busy}
            onClick={() => send('resume')}
          >
            {t('batches.resume')}
          </Button>
        )}
        <Button
          size="xs"
          variant="light"
          color="red"
          disabled={busy}
          onClick={() => {
            control.reset();
            setConfirmingStop(true);
          }}
        >
          {t('batches.stop')}
        </Button>
      </Group>
      {control.error && !confirmingStop && (
        <Alert color="red" p="xs" title={t('batches.controlFailed')}>
          <ErrorText error={control.error} />
        </Alert>
      )}
      <ConfirmDialog
        opened={confirmingStop}
        onClose={() => setConfirmingStop(false)}
        title={t('batches.stopTitle')}
        confirmLabel={t('batches.confirmStop')}
        onConfirm={() => send('stop')}
        pending={busy}
        error={control.error}
        errorTitle={t('batches.stopFailed')}
      >
        <BatchSubjectLine batch={batch} />
        <Text size="sm">{t('batches.stopBody', { unsent })}</Text>
      </ConfirmDialog>
    </Stack>
  );
}
