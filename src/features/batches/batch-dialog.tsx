import { Modal, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { batchKindOf, dataclassLabels, type BatchSummary } from '../../api/schemas';
import { useObjectTitle, useWorkspaceName } from '../../lib/object-names';

/** What a dialog about one batch is given by the batch view. */
export interface BatchDialogProps {
  batch: BatchSummary;
  opened: boolean;
  onClose: () => void;
  onBatchCreated: (batchId: string) => void;
}

export type BatchDialogBodyProps = Omit<BatchDialogProps, 'opened'>;

/**
 * A dialog about one batch (retry, undo): a named close button, and a body that mounts only while
 * the dialog is open, so its queries run then and its state starts fresh at each opening.
 */
export function BatchDialog({
  title,
  props: { opened, ...body },
  Body,
}: {
  title: string;
  props: BatchDialogProps;
  Body: (props: BatchDialogBodyProps) => ReactNode;
}) {
  return (
    <Modal
      opened={opened}
      onClose={body.onClose}
      title={title}
      size="lg"
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      {opened && (
        <>
          <BatchSubjectLine batch={body.batch} />
          <Body {...body} />
        </>
      )}
    </Modal>
  );
}

/**
 * Which batch a dialog is about, in names: "Associate alerts with incident INC-…: Phishing … in
 * SOC Operations" (each ID in its name's tooltip, shown itself while its name is unknown).
 */
export function BatchSubjectLine({ batch }: { batch: BatchSummary }) {
  const title = useObjectTitle(batch.workspace_id, batch.dataclass_type, batch.data_object_id);
  const workspace = useWorkspaceName(batch.workspace_id);
  const related = dataclassLabels[batch.related_dataclass_type].plural.toLowerCase();
  const action = batch.action === 'associate' ? 'Associate' : 'Cancel association of';
  const subject =
    batchKindOf(batch) === 'pairs'
      ? `${batch.subjects ?? 0} ${dataclassLabels[batch.dataclass_type].plural.toLowerCase()}`
      : dataclassLabels[batch.dataclass_type].singular;
  return (
    <Text size="sm" c="dimmed" mb="sm" data-testid="batch-subject-line">
      {action} {related} {batch.action === 'associate' ? 'with' : 'from'} {subject}{' '}
      {batchKindOf(batch) !== 'pairs' && (
        <Text span size="sm" fw={600} c="var(--mantine-color-text)" title={batch.data_object_id}>
          {title ?? batch.data_object_id}
        </Text>
      )}{' '}
      in{' '}
      <Text span size="sm" fw={600} c="var(--mantine-color-text)" title={batch.workspace_id}>
        {workspace ?? batch.workspace_id}
      </Text>
    </Text>
  );
}
