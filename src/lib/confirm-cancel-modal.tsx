import { Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useCreateBatch } from '../api/console-queries';
import { formatCount, shortId } from '../api/format';
import { dataclassLabels, type SubjectSelection } from '../api/schemas';
import { ConfirmDialog } from './confirm-dialog';
import { SelectionList } from './selection-list';

/**
 * The confirmation before a cancel of linked objects chosen in a table (the region "Current
 * associations", the object page's "Linked …" regions): the count and every selected ID (however
 * many pages or searches it was chosen on), an optional reason, then one cancel batch through
 * `POST /api/batches`; `onCreated` gets the new batch's ID.
 */
export function ConfirmCancelModal({
  opened,
  selection,
  workspaceId,
  subject,
  onClose,
  onCreated,
}: {
  opened: boolean;
  /** The selected IDs, in the order chosen, each with its title ('' where unknown). */
  selection: ReadonlyMap<string, string>;
  workspaceId: string;
  subject: SubjectSelection;
  onClose: () => void;
  onCreated: (batchId: string) => void;
}) {
  const createBatch = useCreateBatch();
  const [reason, setReason] = useState('');
  const ids = [...selection.keys()];
  const related = dataclassLabels[subject.related_dataclass_type].plural;

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
        ids,
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
    <ConfirmDialog
      opened={opened}
      onClose={close}
      title="Cancel association?"
      confirmLabel="Confirm cancel association"
      onConfirm={confirm}
      pending={createBatch.isPending}
      error={createBatch.error}
      errorTitle="The cancel batch could not be created"
    >
      <Text size="sm">
        This unlinks {formatCount(ids.length)} {related.toLowerCase()} from{' '}
        {dataclassLabels[subject.dataclass_type].singular}{' '}
        <Text span ff="monospace" size="xs">
          {subject.data_object_id}
        </Text>{' '}
        in workspace{' '}
        <Text span ff="monospace" size="xs" title={workspaceId}>
          {shortId(workspaceId)}
        </Text>
        . The batch and every ID&apos;s outcome are recorded in the History.
      </Text>
      {opened && <SelectionList label={`${related} to unlink`} ids={ids} titles={selection} />}
      <TextInput
        size="xs"
        label="Reason for cancelling"
        description="Optional; kept with the batch"
        value={reason}
        maxLength={1000}
        onChange={(e) => setReason(e.currentTarget.value)}
      />
    </ConfirmDialog>
  );
}
