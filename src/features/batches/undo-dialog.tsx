import { Alert, Button, Checkbox, Group, List, Loader, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError } from '../../api/client';
import { batchQueries, newIdempotencyKey, useUndoBatch } from '../../api/console-queries';
import { useT } from '../../i18n/i18n';
import { ErrorText } from '../../lib/error-text';
import { BatchDialog, type BatchDialogBodyProps, type BatchDialogProps } from './batch-dialog';

/** Changed IDs listed in the warning; the rest are counted. */
const CHANGED_SHOWN = 20;

/**
 * "Undo batch": a preview checked against the current links (how many IDs it reverts, how many
 * the batch left unchanged, which ones changed since the batch ran), then a new batch of the
 * inverse action on exactly the succeeded IDs. A batch recorded before the console tracked what
 * each batch changed may count links that existed before it as succeeded: the dialog says so and
 * asks for an explicit "I understand" first, which the request carries (`include_unrecorded`: the
 * server refuses such an undo without it, 409 `CHANGES_NOT_RECORDED`). One Idempotency-Key per
 * opening and body, so a double click cannot make two undo batches.
 */
export function UndoDialog(props: BatchDialogProps) {
  const t = useT();
  return <BatchDialog title={t('batches.undoTitle')} props={props} Body={UndoBody} />;
}

function UndoBody({ batch, onClose, onBatchCreated }: BatchDialogBodyProps) {
  const t = useT();
  const preview = useQuery(batchQueries.undoPreview(batch.id));
  const undo = useUndoBatch();
  // A key per body: the same key with another body would be refused as a different request.
  const [keys] = useState(() => ({ plain: newIdempotencyKey(), unrecorded: newIdempotencyKey() }));
  const [understood, setUnderstood] = useState(false);
  // The server may know better than the preview that this batch predates change tracking.
  const [serverUnrecorded, setServerUnrecorded] = useState(false);
  const associate = batch.action === 'associate';
  const n = preview.data?.ids ?? batch.counts.succeeded;
  const changed = preview.data?.changed ?? [];
  // The changed IDs are recorded No change by the undo without being sent: not reverted.
  const reverted = Math.max(0, n - changed.length);
  const changesRecorded =
    (preview.data?.changes_recorded ?? batch.changes_recorded) !== false && !serverUnrecorded;
  const includeUnrecorded = !changesRecorded && understood;
  const unrecordedRefusal =
    undo.error instanceof ApiError && undo.error.code === 'CHANGES_NOT_RECORDED';
  const unchanged = preview.data?.unchanged ?? batch.counts.unchanged;

  return (
    <Stack gap="sm">
      {preview.isPending ? (
        <Group gap="xs" role="status">
          <Loader size="xs" />
          <Text size="sm">{t('batches.checkingLinks')}</Text>
        </Group>
      ) : (
        <Text size="sm" fw={500}>
          {t('batches.willBeReverted', { count: reverted, associate })}
        </Text>
      )}
      {changesRecorded && (
        <Text size="sm">{t('batches.unchangedKept', { count: unchanged, associate })}</Text>
      )}
      {!changesRecorded && (
        <Alert color="orange" p="xs" title={t('batches.predatesTitle')}>
          <Stack gap="xs">
            <Text size="sm">{t('batches.predatesBody', { count: n, associate })}</Text>
            <Checkbox
              size="sm"
              label={t('batches.understand')}
              checked={understood}
              onChange={(e) => {
                setUnderstood(e.currentTarget.checked);
                undo.reset();
              }}
            />
          </Stack>
        </Alert>
      )}
      <Text size="xs" c="dimmed">
        {t('batches.undoExplain')}
      </Text>
      {preview.error && (
        <Alert color="yellow" p="xs" title={t('batches.linksCheckFailed')}>
          <ErrorText error={preview.error} />
        </Alert>
      )}
      {changed.length > 0 && (
        <Alert color="orange" p="xs" title={t('batches.changedSince', { count: changed.length })}>
          <Text size="xs">
            {t(associate ? 'batches.changedRemoved' : 'batches.changedRelinked')}
          </Text>
          <List size="xs" ff="monospace" aria-label={t('batches.changedIds')}>
            {changed.slice(0, CHANGED_SHOWN).map((id) => (
              <List.Item key={id} translate="no">
                {id}
              </List.Item>
            ))}
          </List>
          {changed.length > CHANGED_SHOWN && (
            <Text size="xs">{t('batches.andMore', { count: changed.length - CHANGED_SHOWN })}</Text>
          )}
        </Alert>
      )}
      {preview.data && (
        <Text size="xs" c="dimmed">
          {t('batches.checkedAt', { at: preview.data.checked_at })}
        </Text>
      )}
      {undo.error && (
        <Alert
          color="red"
          p="xs"
          title={t(unrecordedRefusal ? 'batches.confirmUndoNeeded' : 'batches.undoCreateFailed')}
        >
          <ErrorText error={undo.error} wordsOnly={unrecordedRefusal} />
        </Alert>
      )}
      <Group justify="flex-end" gap="sm">
        <Button variant="default" size="sm" data-autofocus onClick={onClose}>
          {t('batches.back')}
        </Button>
        <Button
          size="sm"
          color={batch.action === 'associate' ? 'red' : undefined}
          loading={undo.isPending}
          disabled={preview.isPending || (!changesRecorded && !understood)}
          onClick={() =>
            undo.mutate(
              {
                id: batch.id,
                includeUnrecorded,
                idempotencyKey: includeUnrecorded ? keys.unrecorded : keys.plain,
              },
              {
                onSuccess: (created) => {
                  onClose();
                  onBatchCreated(created.id);
                },
                onError: (err) => {
                  if (err instanceof ApiError && err.code === 'CHANGES_NOT_RECORDED')
                    setServerUnrecorded(true);
                },
              },
            )
          }
        >
          {t('batches.confirmUndo')}
        </Button>
      </Group>
    </Stack>
  );
}
