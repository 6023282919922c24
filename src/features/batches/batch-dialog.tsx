import { Modal, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { batchKindOf, type BatchSummary } from '../../api/schemas';
import { useObjectTitle, useWorkspaceName } from '../../lib/object-names';
import { dataclassPlural, dataclassSingular } from '../../lib/words';
import { useT } from '../../i18n/i18n';

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
  const t = useT();
  return (
    <Modal
      opened={opened}
      onClose={body.onClose}
      title={title}
      size="lg"
      closeButtonProps={{ 'aria-label': t('batches.close') }}
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
  const t = useT();
  const title = useObjectTitle(batch.workspace_id, batch.dataclass_type, batch.data_object_id);
  const workspace = useWorkspaceName(batch.workspace_id);
  const related = dataclassPlural(batch.related_dataclass_type);
  const subject =
    batchKindOf(batch) === 'pairs'
      ? t('batches.subjectsCount', {
          count: batch.subjects ?? 0,
          plural: dataclassPlural(batch.dataclass_type),
        })
      : dataclassSingular(batch.dataclass_type);
  return (
    <Text size="sm" c="dimmed" mb="sm" data-testid="batch-subject-line">
      {t('batches.subjectLine', {
        associate: batch.action === 'associate',
        related,
        subject,
        object:
          batchKindOf(batch) !== 'pairs' ? (
            <DataName key="object" id={batch.data_object_id} name={title} />
          ) : null,
        workspace: <DataName key="workspace" id={batch.workspace_id} name={workspace} />,
      })}
    </Text>
  );
}

/** A name from SecMaster inside the sentence, in bold (data: untranslated; its ID in the tooltip). */
function DataName({ id, name }: { id: string; name: string | null | undefined }) {
  return (
    <Text span size="sm" fw={600} c="var(--mantine-color-text)" title={id} translate="no">
      {name ?? id}
    </Text>
  );
}
