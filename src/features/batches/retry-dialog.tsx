import { Alert, Button, Checkbox, Group, List, Loader, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError } from '../../api/client';
import { batchQueries, newIdempotencyKey, useRetryBatch } from '../../api/console-queries';
import { useT } from '../../i18n/i18n';
import { ErrorText } from '../../lib/error-text';
import { dataclassSingular } from '../../lib/words';
import { BatchDialog, type BatchDialogBodyProps, type BatchDialogProps } from './batch-dialog';

/**
 * "Retry failed": what a retry would include (failed IDs that may pass, unknown and skipped ones,
 * permanent failures when asked) and leave out (permanent failures unless asked; a stopped batch's
 * unknown IDs, still being re-read), read from the server; then the server creates
 * the retry batch (`retry_of`). One Idempotency-Key per opening and choice, so a double click
 * cannot make two retry batches.
 */
export function RetryDialog(props: BatchDialogProps) {
  const t = useT();
  return <BatchDialog title={t('batches.retryTitle')} props={props} Body={RetryBody} />;
}

function RetryBody({ batch, onClose, onBatchCreated }: BatchDialogBodyProps) {
  const t = useT();
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
  const related = dataclassSingular(batch.related_dataclass_type);
  const associate = batch.action === 'associate';
  const nothingLeft = retry.error instanceof ApiError && retry.error.code === 'NOTHING_TO_RETRY';

  return (
    <Stack gap="sm">
      {preview.isPending && (
        <Group gap="xs" role="status">
          <Loader size="xs" />
          <Text size="sm">{t('batches.retryReading')}</Text>
        </Group>
      )}
      {preview.error && (
        <Alert color="yellow" p="xs" title={t('batches.retryPreviewFailed')}>
          <ErrorText error={preview.error} />
        </Alert>
      )}
      {p && (
        <>
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              {t('batches.retryIncludes', { count: count ?? 0 })}
            </Text>
            <List size="sm" aria-label={t('batches.includedList')}>
              <List.Item>{t('batches.retryFailedItem', { count: p.failed, related })}</List.Item>
              <List.Item>{t('batches.retryUnknownItem', { count: p.unknown })}</List.Item>
              <List.Item>{t('batches.retrySkippedItem', { count: p.skipped })}</List.Item>
              {includePermanent && p.permanent > 0 && (
                <List.Item>{t('batches.retryPermanentItem', { count: p.permanent })}</List.Item>
              )}
            </List>
          </Stack>
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              {leftOut > 0
                ? t('batches.leavesOut', { count: leftOut })
                : p.permanent > 0
                  ? t('batches.leavesOutNothing')
                  : t('batches.leavesOutNothingNoPermanent')}
            </Text>
            {leftOut > 0 && (
              <List size="sm" aria-label={t('batches.leftOutList')}>
                {permanentLeftOut > 0 && (
                  <List.Item>
                    {t('batches.permanentLeftOut', { count: permanentLeftOut, related })}
                  </List.Item>
                )}
                {reReading > 0 && (
                  <List.Item>{t('batches.reReadingLeftOut', { count: reReading })}</List.Item>
                )}
              </List>
            )}
            {p.permanent > 0 && (
              <Checkbox
                size="sm"
                label={t('batches.includePermanent')}
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
        {t('batches.retryExplain', { associate })}
      </Text>
      {count === 0 && !retry.error && (
        <Text size="sm" role="status">
          {t('batches.nothingToRetryStatus', { permanent: !!p && p.permanent > 0 })}
        </Text>
      )}
      {retry.error && (
        <Alert
          color={nothingLeft ? 'gray' : 'red'}
          p="xs"
          title={t(nothingLeft ? 'batches.nothingToRetry' : 'batches.retryCreateFailed')}
        >
          <ErrorText error={retry.error} wordsOnly={nothingLeft} />
        </Alert>
      )}
      <Group justify="flex-end" gap="sm">
        <Button variant="default" size="sm" data-autofocus onClick={onClose}>
          {t('batches.back')}
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
          {count === null ? t('batches.retry') : t('batches.retryCount', { count })}
        </Button>
      </Group>
    </Stack>
  );
}
