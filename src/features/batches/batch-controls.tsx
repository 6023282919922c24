import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { describeError } from '../../api/client';
import { useBatchControl, type BatchControl } from '../../api/console-queries';
import { formatCount } from '../../api/format';
import type { BatchSummary } from '../../api/schemas';
import { canPauseBatch, canResumeBatch } from '../../lib/batch-states';
import { ConfirmDialog } from '../../lib/confirm-dialog';
import { BatchSubjectLine } from './batch-dialog';

/**
 * "Pause batch", "Resume batch" and "Stop batch". Stopping asks first: the IDs not sent yet become
 * Skipped, and a stopped batch cannot be resumed.
 */
export function BatchControls({ batch }: { batch: BatchSummary }) {
  const control = useBatchControl();
  const [confirmingStop, setConfirmingStop] = useState(false);
  const unsent = batch.counts.pending;

  const send = (which: BatchControl) =>
    control.mutate({ id: batch.id, control: which }, { onSuccess: () => setConfirmingStop(false) });
  const busy = control.isPending;

  return (
    <Stack gap={4}>
      <Group gap="xs" role="group" aria-label="Batch controls">
        {canPauseBatch(batch.state) && (
          <Button
            size="xs"
            variant="default"
            loading={busy && control.variables.control === 'pause'}
            disabled={busy}
            onClick={() => send('pause')}
          >
            Pause batch
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
            Resume batch
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
          Stop batch
        </Button>
      </Group>
      {control.error && !confirmingStop && (
        <Alert color="red" p="xs" title="The batch could not be changed">
          {describeError(control.error)}
        </Alert>
      )}
      <ConfirmDialog
        opened={confirmingStop}
        onClose={() => setConfirmingStop(false)}
        title="Stop this batch?"
        confirmLabel="Confirm stop"
        onConfirm={() => send('stop')}
        pending={busy}
        error={control.error}
        errorTitle="The batch could not be stopped"
      >
        <BatchSubjectLine batch={batch} />
        <Text size="sm">
          {unsent > 0
            ? `${formatCount(unsent)} IDs not sent yet will be marked Skipped.`
            : 'No ID is waiting to be sent.'}{' '}
          Calls already sent finish and their outcomes are recorded. A stopped batch cannot be
          resumed: “Retry failed” then sends its skipped IDs (with its failed and unknown ones) as a
          new batch.
        </Text>
      </ConfirmDialog>
    </Stack>
  );
}
