import { Alert, Button, Checkbox, Group, List, Loader, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, describeError } from '../../api/client';
import { batchQueries, newIdempotencyKey, useRetryBatch } from '../../api/console-queries';
import { formatCount } from '../../api/format';
import { dataclassLabels } from '../../api/schemas';
import { BatchDialog, type BatchDialogBodyProps, type BatchDialogProps } from './batch-dialog';

/** "1 ID", "2 IDs". */
function ids(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'ID' : 'IDs'}`;
}

/** "an alert", "a ...": the related class with its article. */
function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}

/**
 * "Retry failed": what a retry would include (failed IDs that may pass, unknown and skipped ones,
 * permanent failures when asked) and leave out (permanent failures unless asked; a stopped batch's
 * unknown IDs, still being re-read), read from the server; then the server creates
 * the retry batch (`retry_of`). One Idempotency-Key per opening and choice, so a double click
 * cannot make two retry batches.
 */
export function RetryDialog(props: BatchDialogProps) {
  return <BatchDialog title="Retry failed IDs" props={props} Body={RetryBody} />;
}

function RetryBody({ batch, onClose, onBatchCreated }: BatchDialogBodyProps) {
  const preview = useQuery(batchQueries.retryPreview(batch.id));
  const retry = useRetryBatch();
  const [includePermanent, setIncludePermanent] = useState(false);
  // A key per choice: the same key with another body would be refused as a different request.
  const [keys] = useState(() => ({ without: newIdempotencyKey(), with: newIdempotencyKey() }));
  const p = preview.data;
  const count = p ? p.ids + (includePermanent ? p.permanent : 0) : null;
  // A stopped batch's unknown IDs are still being re-read: the server leaves them out.
  const reReading =
    p && batch.state === 'cancelled' ? Math.max(0, batch.counts.unknown - p.unknown) : 0;
  const permanentLeftOut = p && !includePermanent ? p.permanent : 0;
  const leftOut = permanentLeftOut + reReading;
  const related = dataclassLabels[batch.related_dataclass_type].singular;
  const asked = batch.action === 'associate' ? 'linked' : 'not linked';
  const nothingLeft = retry.error instanceof ApiError && retry.error.code === 'NOTHING_TO_RETRY';

  return (
    <Stack gap="sm">
      {preview.isPending && (
        <Group gap="xs" role="status">
          <Loader size="xs" />
          <Text size="sm">Reading what is left to retry…</Text>
        </Group>
      )}
      {preview.error && (
        <Alert color="yellow" p="xs" title="What the retry would include could not be read">
          {describeError(preview.error)}
        </Alert>
      )}
      {p && (
        <>
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              The retry includes {ids(count ?? 0)}
            </Text>
            <List size="sm" aria-label="Included in the retry">
              <List.Item>
                {formatCount(p.failed)} failed for another reason than not found or not{' '}
                {withArticle(related)} (they may pass on a retry)
              </List.Item>
              <List.Item>
                {formatCount(p.unknown)} unknown: the outcome was never confirmed
              </List.Item>
              <List.Item>{formatCount(p.skipped)} skipped: stopped before they were sent</List.Item>
              {includePermanent && p.permanent > 0 && (
                <List.Item>
                  {formatCount(p.permanent)} permanent {p.permanent === 1 ? 'failure' : 'failures'},
                  as asked
                </List.Item>
              )}
            </List>
          </Stack>
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              {leftOut > 0
                ? `It leaves out ${ids(leftOut)}`
                : p.permanent > 0
                  ? 'It leaves out nothing'
                  : 'It leaves out nothing: no permanent failure'}
            </Text>
            {leftOut > 0 && (
              <List size="sm" aria-label="Left out of the retry">
                {permanentLeftOut > 0 && (
                  <List.Item>
                    {formatCount(permanentLeftOut)} permanent{' '}
                    {permanentLeftOut === 1 ? 'failure' : 'failures'}: not found in this workspace,
                    or not {withArticle(related)}. A retry fails again unless the object was created
                    or corrected since.
                  </List.Item>
                )}
                {reReading > 0 && (
                  <List.Item>
                    {formatCount(reReading)} unknown: still being re-read since the batch was
                    stopped. Retry again once they are settled.
                  </List.Item>
                )}
              </List>
            )}
            {p.permanent > 0 && (
              <Checkbox
                size="sm"
                label="Include permanent failures"
                checked={includePermanent}
                onChange={(e) => {
                  setIncludePermanent(e.currentTarget.checked);
                  retry.reset();
                }}
              />
            )}
          </Stack>
        </>
      )}
      <Text size="xs" c="dimmed">
        A new batch on the same workspace and subject, keeping this batch&apos;s reason. Before each
        call the console reads which IDs are already {asked}: those are recorded as No change and
        not sent. This batch stays in the History as it is.
      </Text>
      {count === 0 && !retry.error && (
        <Text size="sm" role="status">
          Nothing to retry{p && p.permanent > 0 ? ' unless permanent failures are included' : ''}.
        </Text>
      )}
      {retry.error && (
        <Alert
          color={nothingLeft ? 'gray' : 'red'}
          p="xs"
          title={nothingLeft ? 'Nothing to retry' : 'The retry batch could not be created'}
        >
          {nothingLeft ? retry.error.message : describeError(retry.error)}
        </Alert>
      )}
      <Group justify="flex-end" gap="sm">
        <Button variant="default" size="sm" data-autofocus onClick={onClose}>
          Back
        </Button>
        <Button
          size="sm"
          loading={retry.isPending}
          disabled={preview.isPending || count === 0}
          onClick={() =>
            retry.mutate(
              {
                id: batch.id,
                includePermanent,
                idempotencyKey: includePermanent ? keys.with : keys.without,
              },
              {
                onSuccess: (created) => {
                  onClose();
                  onBatchCreated(created.id);
                },
              },
            )
          }
        >
          {count === null ? 'Retry' : `Retry ${ids(count)}`}
        </Button>
      </Group>
    </Stack>
  );
}
