import { Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useCreateBatch } from '../api/console-queries';
import { shortId } from '../api/format';
import type { SubjectSelection } from '../api/schemas';
import { useT } from '../i18n/i18n';
import { ConfirmDialog } from './confirm-dialog';
import { SelectionList } from './selection-list';
import { dataclassLabel, dataclassPlural, dataclassSingular } from './words';

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
  const t = useT();
  const createBatch = useCreateBatch();
  const [reason, setReason] = useState('');
  const ids = [...selection.keys()];
  const related = dataclassLabel(subject.related_dataclass_type);

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
      title={t('common.cancelQuestion')}
      confirmLabel={t('common.confirmCancel')}
      onConfirm={confirm}
      pending={createBatch.isPending}
      error={createBatch.error}
      errorTitle={t('common.cancelNotCreated')}
    >
      <Text size="sm">
        {t('common.cancelText', {
          count: ids.length,
          related: dataclassPlural(subject.related_dataclass_type),
          subjectClass: dataclassSingular(subject.dataclass_type),
          subject: (
            <Text span ff="monospace" size="xs" translate="no" key="subject">
              {subject.data_object_id}
            </Text>
          ),
          workspace: (
            <Text span ff="monospace" size="xs" title={workspaceId} translate="no" key="workspace">
              {shortId(workspaceId)}
            </Text>
          ),
        })}
      </Text>
      {opened && (
        <SelectionList label={t('common.toUnlink', { related })} ids={ids} titles={selection} />
      )}
      <TextInput
        size="xs"
        label={t('common.cancelReason')}
        description={t('common.cancelReasonHint')}
        value={reason}
        maxLength={1000}
        onChange={(e) => setReason(e.currentTarget.value)}
      />
    </ConfirmDialog>
  );
}
