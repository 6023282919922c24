import { Alert, Button, Group, Loader, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { consoleQueries, newIdempotencyKey, useCreateMove } from '../../api/console-queries';
import {
  idKey,
  type CreateMoveRequest,
  type DataclassType,
  type MoveSummary,
} from '../../api/schemas';
import { ObjectPicker } from '../../lib/object-picker';
import { paths } from '../../lib/paths';
import { useT } from '../../i18n/i18n';
import { ErrorText } from '../../lib/error-text';
import { dataclassCount, dataclassLabel, dataclassSingular } from '../../lib/words';
import { SelectionList } from '../../lib/selection-list';

export interface MoveDialogProps {
  opened: boolean;
  onClose: () => void;
  workspaceId: string;
  /** The class of the source and of the destination. */
  dataclass: DataclassType;
  /** The subject the IDs are linked to now. */
  sourceId: string;
  /** The class of the IDs that move. */
  relatedClass: DataclassType;
  ids: string[];
  /** Titles of the IDs, where known (listed with them). */
  titles?: ReadonlyMap<string, string> | undefined;
  /** Called with the new move, before the dialog navigates to its page. */
  onCreated?: (move: MoveSummary) => void;
}

/**
 * "Move to another subject": pick the destination (same class as the source: search its title or
 * paste its ID), an optional reason, and confirm. The move links the IDs with the destination and
 * then removes from the source exactly those now linked there (`POST /api/moves`); its page
 * (`/moves/{id}`) follows it.
 */
export function MoveDialog(props: MoveDialogProps) {
  const t = useT();
  return (
    <Modal
      opened={props.opened}
      onClose={props.onClose}
      title={t('moves.dialogTitle')}
      size="lg"
      closeButtonProps={{ 'aria-label': t('common.close') }}
    >
      {props.opened && <MoveBody {...props} />}
    </Modal>
  );
}

function MoveBody({
  onClose,
  workspaceId,
  dataclass,
  sourceId,
  relatedClass,
  ids,
  titles,
  onCreated,
}: MoveDialogProps) {
  const t = useT();
  const config = useQuery(consoleQueries.config());
  const navigate = useNavigate();
  const createMove = useCreateMove();
  const [destination, setDestination] = useState('');
  const [reason, setReason] = useState('');
  // One key per opening and destination: a double click cannot make two moves.
  const [key, setKey] = useState(() => ({ destination: '', value: newIdempotencyKey() }));
  const sameAsSource = destination !== '' && idKey(destination) === idKey(sourceId);
  const subject = dataclassSingular(dataclass);
  const n = ids.length;
  const canConfirm = destination !== '' && !sameAsSource && n > 0 && !createMove.isPending;

  const confirm = () => {
    if (!canConfirm) return;
    const trimmed = reason.trim();
    const body: CreateMoveRequest = {
      workspace_id: workspaceId,
      dataclass_type: dataclass,
      source_id: sourceId,
      destination_id: destination,
      related_dataclass_type: relatedClass,
      ids,
      ...(trimmed ? { reason: trimmed } : {}),
    };
    let idempotencyKey = key.value;
    if (key.destination !== destination) {
      idempotencyKey = newIdempotencyKey();
      setKey({ destination, value: idempotencyKey });
    }
    createMove.mutate(
      { body, idempotencyKey },
      {
        onSuccess: (move) => {
          onCreated?.(move);
          onClose();
          void navigate(paths.move(move.id));
        },
      },
    );
  };

  if (!config.data) {
    return config.isError ? (
      <Alert color="red" title={t('moves.settingsUnreadable')}>
        <ErrorText error={config.error} />
      </Alert>
    ) : (
      <Group gap="xs" role="status">
        <Loader size="xs" />
        <Text size="sm">{t('moves.loading')}</Text>
      </Group>
    );
  }

  return (
    <form
      noValidate
      aria-label={t('moves.formName')}
      onSubmit={(e) => {
        e.preventDefault();
        confirm();
      }}
      onKeyDown={(e) => {
        // Enter picks an option or does nothing; only the button confirms.
        if (e.key === 'Enter' && e.target instanceof HTMLInputElement) e.preventDefault();
      }}
    >
      <Stack gap="sm">
        <Text size="sm">
          {t('moves.intro', {
            what: dataclassCount(relatedClass, n),
            subject,
            source: (
              <Text key="source" span ff="monospace" size="xs" translate="no">
                {sourceId}
              </Text>
            ),
          })}
        </Text>
        <SelectionList
          label={t('moves.toMove', { what: dataclassLabel(relatedClass) })}
          ids={ids}
          titles={titles}
        />
        <ObjectPicker
          projectId={config.data.projectId}
          workspaceId={workspaceId}
          dataclass={dataclass}
          value={destination}
          onChange={setDestination}
          label={t('moves.destination')}
          cardLabel={t('moves.destinationCard', { subject })}
          error={sameAsSource ? t('moves.sameAsSource', { subject }) : undefined}
        />
        <TextInput
          label={t('moves.reason')}
          description={t('moves.reasonHint')}
          size="sm"
          maxLength={1000}
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
        />
        {createMove.isError && (
          <Alert color="red" p="xs" title={t('moves.notCreated')}>
            <ErrorText error={createMove.error} />
          </Alert>
        )}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" size="sm" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" size="sm" disabled={!canConfirm} loading={createMove.isPending}>
            {t('moves.confirm')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
