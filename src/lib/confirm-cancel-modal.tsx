import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { describeError } from '../api/client';
import { useCreateBatch } from '../api/console-queries';
import { formatCount, shortId } from '../api/format';
import type { SubjectSelection } from '../api/schemas';

/**
 * The confirmation before a cancel of linked objects chosen in a table (the region "Current
 * associations", the object page's "Linked …" regions): an optional reason, then one cancel batch
 * through `POST /api/batches`; `onCreated` gets the new batch's ID.
 */
export function ConfirmCancelModal({
  opened,
  count,
  ids,
  relatedPlural,
  subjectLabel,
  subjectId,
  workspaceId,
  subject,
  onClose,
  onCreated,
}: {
  opened: boolean;
  count: number;
  ids: ReadonlySet<string>;
  relatedPlural: string;
  subjectLabel: string;
  subjectId: string;
  workspaceId: string;
  subject: SubjectSelection;
  onClose: () => void;
  onCreated: (batchId: string) => void;
}) {
  const createBatch = useCreateBatch();
  const [reason, setReason] = useState('');

  function close() {
    createBatch.reset();
    setReason('');
    onClose();
  }

  function confirm() {
    const trimmed = reason.trim();
    createBatch.mutate(
      {
        action: 'cancel',
        workspace_id: workspaceId,
        dataclass_type: subject.dataclass_type,
        data_object_id: subject.data_object_id,
        related_dataclass_type: subject.related_dataclass_type,
        ids: [...ids],
        ...(trimmed ? { reason: trimmed } : {}),
      },
      {
        onSuccess: (batch) => {
          setReason('');
          onCreated(batch.id);
        },
      },
    );
  }

  return (
    <Modal opened={opened} onClose={close} title="Cancel association?" size="md">
      <Stack gap="sm">
        <Text size="sm">
          This unlinks {formatCount(count)} {relatedPlural} from {subjectLabel}{' '}
          <Text span ff="monospace" size="xs">
            {subjectId}
          </Text>{' '}
          in workspace{' '}
          <Text span ff="monospace" size="xs" title={workspaceId}>
            {shortId(workspaceId)}
          </Text>
          . The batch and every ID&apos;s outcome are recorded in the History.
        </Text>
        <TextInput
          size="xs"
          label="Reason for cancelling"
          description="Optional; kept with the batch"
          value={reason}
          maxLength={1000}
          onChange={(e) => setReason(e.currentTarget.value)}
        />
        {createBatch.error && (
          <Alert color="red" p="xs" title="The cancel batch could not be created">
            {describeError(createBatch.error)}
          </Alert>
        )}
        <Group justify="flex-end" gap="xs">
          <Button
            size="xs"
            variant="default"
            data-autofocus
            onClick={close}
            disabled={createBatch.isPending}
          >
            Back
          </Button>
          <Button size="xs" color="red" onClick={confirm} loading={createBatch.isPending}>
            Confirm cancel association
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
