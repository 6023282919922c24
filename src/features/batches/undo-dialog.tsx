import { Alert, Button, Group, List, Loader, Modal, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { describeError } from '../../api/client';
import { batchQueries, newIdempotencyKey, useUndoBatch } from '../../api/console-queries';
import { formatCount, formatLocalDateTime } from '../../api/format';
import type { BatchSummary } from '../../api/schemas';

/** Changed IDs listed in the warning; the rest are counted. */
const CHANGED_SHOWN = 20;

/**
 * "Undo batch": a preview checked against the current links (how many IDs, which ones changed
 * since the batch ran), then a new batch of the inverse action on exactly the succeeded IDs.
 * One Idempotency-Key per opening, so a double click cannot make two undo batches.
 */
export function UndoDialog({
  batch,
  opened,
  onClose,
  onBatchCreated,
}: {
  batch: BatchSummary;
  opened: boolean;
  onClose: () => void;
  onBatchCreated: (batchId: string) => void;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title="Undo this batch?" size="lg">
      {opened && <UndoBody batch={batch} onClose={onClose} onBatchCreated={onBatchCreated} />}
    </Modal>
  );
}

function UndoBody({
  batch,
  onClose,
  onBatchCreated,
}: {
  batch: BatchSummary;
  onClose: () => void;
  onBatchCreated: (batchId: string) => void;
}) {
  const preview = useQuery(batchQueries.undoPreview(batch.id));
  const undo = useUndoBatch();
  const [key] = useState(newIdempotencyKey);
  const verb = batch.action === 'associate' ? 'cancelled' : 'associated';
  const n = preview.data?.ids ?? batch.counts.succeeded;
  const changed = preview.data?.changed ?? [];

  return (
    <Stack gap="sm">
      {preview.isPending ? (
        <Group gap="xs" role="status">
          <Loader size="xs" />
          <Text size="sm">Checking the current links…</Text>
        </Group>
      ) : (
        <Text size="sm" fw={500}>
          {formatCount(n)} {n === 1 ? 'ID' : 'IDs'} will be {verb}
        </Text>
      )}
      <Text size="xs" c="dimmed">
        A new batch makes the inverse call with exactly the IDs that succeeded in this one, on the
        same workspace and subject. This batch stays in the History as it is.
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
              ? 'These links were already removed by someone else; undoing sends them anyway (a no-op for them):'
              : 'These links were made again since; undoing associates them anyway (a no-op for them):'}
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
        <Alert color="red" p="xs" title="The undo batch could not be created">
          {describeError(undo.error)}
        </Alert>
      )}
      <Group justify="flex-end" gap="sm">
        <Button variant="default" size="sm" onClick={onClose}>
          Back
        </Button>
        <Button
          size="sm"
          color={batch.action === 'associate' ? 'red' : undefined}
          loading={undo.isPending}
          disabled={preview.isPending}
          onClick={() =>
            undo.mutate(
              { id: batch.id, idempotencyKey: key },
              {
                onSuccess: (created) => {
                  onClose();
                  onBatchCreated(created.id);
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
