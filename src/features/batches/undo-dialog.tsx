import { Alert, Button, Checkbox, Group, List, Loader, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, describeError } from '../../api/client';
import { batchQueries, newIdempotencyKey, useUndoBatch } from '../../api/console-queries';
import { formatCount, formatLocalDateTime } from '../../api/format';
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
  return <BatchDialog title="Undo this batch?" props={props} Body={UndoBody} />;
}

function UndoBody({ batch, onClose, onBatchCreated }: BatchDialogBodyProps) {
  const preview = useQuery(batchQueries.undoPreview(batch.id));
  const undo = useUndoBatch();
  // A key per body: the same key with another body would be refused as a different request.
  const [keys] = useState(() => ({ plain: newIdempotencyKey(), unrecorded: newIdempotencyKey() }));
  const [understood, setUnderstood] = useState(false);
  // The server may know better than the preview that this batch predates change tracking.
  const [serverUnrecorded, setServerUnrecorded] = useState(false);
  const verb = batch.action === 'associate' ? 'cancelled' : 'associated';
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
  const before = batch.action === 'associate' ? 'already linked' : 'not linked';

  return (
    <Stack gap="sm">
      {preview.isPending ? (
        <Group gap="xs" role="status">
          <Loader size="xs" />
          <Text size="sm">Checking the current links…</Text>
        </Group>
      ) : (
        <Text size="sm" fw={500}>
          {formatCount(reverted)} {reverted === 1 ? 'ID' : 'IDs'} will be {verb}
        </Text>
      )}
      {changesRecorded && (
        <Text size="sm">
          {formatCount(unchanged)} {unchanged === 1 ? 'ID was' : 'IDs were'} {before} before this
          batch (No change): the undo leaves {unchanged === 1 ? 'it' : 'them'} as{' '}
          {unchanged === 1 ? 'it is' : 'they are'}.
        </Text>
      )}
      {!changesRecorded && (
        <Alert color="orange" p="xs" title="This batch predates change tracking">
          <Stack gap="xs">
            <Text size="sm">
              This batch was recorded before the console kept track of what each batch changed: its{' '}
              {formatCount(n)} succeeded {n === 1 ? 'ID' : 'IDs'}{' '}
              {batch.action === 'associate'
                ? 'may include links that existed before it, and the undo would remove those too.'
                : 'may include IDs that were not linked before it, and the undo would link those too.'}
            </Text>
            <Checkbox
              size="sm"
              label="I understand"
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
        A new batch makes the inverse call with exactly the IDs this batch changed (Succeeded), on
        the same workspace and subject. This batch stays in the History as it is.
      </Text>
      {preview.error && (
        <Alert color="yellow" p="xs" title="The current links could not be checked">
          {describeError(preview.error)}
        </Alert>
      )}
      {changed.length > 0 && (
        <Alert
          color="orange"
          p="xs"
          title={`${formatCount(changed.length)} ${changed.length === 1 ? 'ID has' : 'IDs have'} changed since this batch`}
        >
          <Text size="xs">
            {batch.action === 'associate'
              ? 'These links were removed since: the undo finds them already unlinked and records them as No change, without sending them:'
              : 'These links were made again since: the undo finds them already linked and records them as No change, without sending them:'}
          </Text>
          <List size="xs" ff="monospace" aria-label="Changed IDs">
            {changed.slice(0, CHANGED_SHOWN).map((id) => (
              <List.Item key={id}>{id}</List.Item>
            ))}
          </List>
          {changed.length > CHANGED_SHOWN && (
            <Text size="xs">and {formatCount(changed.length - CHANGED_SHOWN)} more</Text>
          )}
        </Alert>
      )}
      {preview.data && (
        <Text size="xs" c="dimmed">
          Checked {formatLocalDateTime(preview.data.checked_at)}
        </Text>
      )}
      {undo.error && (
        <Alert
          color="red"
          p="xs"
          title={
            unrecordedRefusal
              ? 'The server needs you to confirm this undo'
              : 'The undo batch could not be created'
          }
        >
          {unrecordedRefusal ? undo.error.message : describeError(undo.error)}
        </Alert>
      )}
      <Group justify="flex-end" gap="sm">
        <Button variant="default" size="sm" data-autofocus onClick={onClose}>
          Back
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
          Confirm undo
        </Button>
      </Group>
    </Stack>
  );
}
