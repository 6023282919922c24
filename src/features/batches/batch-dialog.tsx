import { Modal } from '@mantine/core';
import type { ReactNode } from 'react';
import type { BatchSummary } from '../../api/schemas';

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
      {opened && <Body {...body} />}
    </Modal>
  );
}
