import { Alert, Anchor, Badge, Group, Paper, Progress, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { batchKeys, batchQueries } from '../../api/console-queries';
import { shortId } from '../../api/format';
import { batchKindOf, type BatchSummary } from '../../api/schemas';
import { batchStateColors, isBatchActive, isBatchControllable } from '../../lib/batch-states';
import { ObjectName } from '../../lib/object-names';
import { actionWord, batchStateWord, dataclassLabel, dataclassSingular } from '../../lib/words';
import { t as translate, useI18n, useT } from '../../i18n/i18n';
import { paths } from '../../lib/paths';
import {
  Meta,
  RunFacts,
  RunLoadState,
  RunNotes,
  RunPollError,
  usePolledRun,
} from '../../lib/run-view';
import { BatchActions } from './batch-actions';
import { BatchControls } from './batch-controls';
import { BatchResults } from './batch-results';
import { estimateProgress, paceText } from './progress';
import { ACTIVE_POLL_MS } from './queries';

export interface BatchViewProps {
  batchId: string;
  /** Called with the new batch's ID after "Retry failed" or "Undo batch" created it. */
  onBatchCreated: (batchId: string) => void;
}

/** One batch: header, live progress, per-state results, the per-ID table and result actions. */
/** Where a batch's credential came from, in words (never the credential itself). */
function credentialLabel(source: string): ReactNode {
  if (source === 'env-aksk') return translate('batches.credentialServerAksk');
  if (source === 'env-token') return translate('batches.credentialServerToken');
  if (source.startsWith('session:')) {
    const user = (
      <span key="user" translate="no">
        {source.slice('session:'.length)}
      </span>
    );
    return translate('batches.credentialSignIn', { user });
  }
  return <span translate="no">{source}</span>;
}

export function BatchView({ batchId, onBatchCreated }: BatchViewProps) {
  const t = useT();
  const detail = usePolledRun(
    batchQueries.detail(batchId),
    batchKeys.items(batchId),
    ACTIVE_POLL_MS,
  );
  const batch = detail.data;

  if (!batch) return <RunLoadState noun="batch" id={batchId} query={detail} />;

  if (batchKindOf(batch) === 'move') {
    return (
      <Alert color="gray" title={t('batches.isMove')}>
        <Anchor component={Link} to={paths.move(batch.id)} size="sm">
          {t('batches.openMove')}
        </Anchor>
      </Alert>
    );
  }

  return (
    <Stack gap="sm">
      <BatchHeader batch={batch} />
      <RunPollError error={detail.error} />
      {isBatchActive(batch.state) && (
        <BatchProgress batch={batch} observedAt={detail.dataUpdatedAt} />
      )}
      {isBatchControllable(batch.state) && <BatchControls batch={batch} />}
      {/* Keyed by batch: a new batch (e.g. after "Retry failed") starts with a fresh filter. */}
      <BatchResults key={batch.id} batch={batch}>
        <BatchActions batch={batch} onBatchCreated={onBatchCreated} />
      </BatchResults>
    </Stack>
  );
}

/** The DOM id of a batch's heading (to move focus or scroll to it). */
export function batchHeadingId(batchId: string): string {
  return `batch-heading-${batchId}`;
}

function BatchHeader({ batch }: { batch: BatchSummary }) {
  const t = useT();
  const subject = dataclassSingular(batch.dataclass_type);
  const related = dataclassLabel(batch.related_dataclass_type);
  const associate = batch.action === 'associate';
  const action = (
    <Text key="action" span size="sm" fw={600}>
      {actionWord(batch.action)}
    </Text>
  );
  return (
    <Paper withBorder p="xs">
      <Stack gap={4}>
        <Group gap="xs" wrap="wrap">
          {/* The batch's heading says what it does, to what: where focus lands after a submit
              (the shell's arrival focus looks for data-arrival-focus, src/app/arrival-focus.ts). */}
          <Title order={2} size="sm" fw={400} id={batchHeadingId(batch.id)} data-arrival-focus>
            {batchKindOf(batch) === 'pairs'
              ? t('batches.headingPairs', {
                  action,
                  related,
                  subjects: batch.subjects ?? 0,
                  associate,
                  note: (
                    <Text key="note" span size="xs" c="dimmed">
                      {t('batches.pairsNote', { malformed: batch.invalid_pairs ?? 0 })}
                    </Text>
                  ),
                })
              : t('batches.heading', {
                  action,
                  related,
                  subject,
                  associate,
                  name: (
                    <ObjectName
                      key="name"
                      workspaceId={batch.workspace_id}
                      dataclass={batch.dataclass_type}
                      id={batch.data_object_id}
                      copyLabel={t('batches.subjectCopyLabel')}
                    />
                  ),
                })}
          </Title>
          <Badge size="sm" variant="light" color={batchStateColors[batch.state]}>
            {batchStateWord(batch.state)}
          </Badge>
        </Group>
        <RunFacts noun="batch" run={batch} pathOf={paths.batch}>
          {batch.credential_source && (
            <Meta label={t('batches.credential')}>{credentialLabel(batch.credential_source)}</Meta>
          )}
          {batch.group_id && (
            <Meta label={t('batches.partOf')}>
              <Anchor component={Link} to={paths.batch(batch.group_id)} size="xs">
                {t('batches.groupLink', {
                  id: (
                    <span key="id" translate="no">
                      {shortId(batch.group_id)}
                    </span>
                  ),
                })}
              </Anchor>
            </Meta>
          )}
          {batch.retry_of && (
            <Meta label={t('batches.retryMeta')}>
              <Anchor component={Link} to={paths.batch(batch.retry_of)} size="xs">
                {t('batches.retryOfLink', {
                  id: (
                    <span key="id" translate="no">
                      {shortId(batch.retry_of)}
                    </span>
                  ),
                })}
              </Anchor>
            </Meta>
          )}
        </RunFacts>
        <RunNotes reason={batch.reason} state={batch.state} stateReason={batch.state_reason} />
        {batch.state === 'cancelled' && batch.counts.skipped > 0 && (
          <Text size="xs">{t('batches.stoppedNote', { count: batch.counts.skipped })}</Text>
        )}
      </Stack>
    </Paper>
  );
}

function BatchProgress({ batch, observedAt }: { batch: BatchSummary; observedAt: number }) {
  const { t, f } = useI18n();
  const elapsed = observedAt - Date.parse(batch.created_at);
  const p = estimateProgress(batch.counts, batch.total, elapsed);
  const percent = Math.round(p.percent * 10) / 10;
  return (
    <Paper withBorder p="xs">
      <Stack gap={6}>
        {/* The role sits on the track, not on the filled section: at 0 % the section has no
            width, and a progressbar nobody can see is no progressbar. */}
        <Progress.Root
          size="md"
          role="progressbar"
          aria-label={t('batches.progressLabel')}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
          aria-valuetext={`${f.number(percent)}%`}
        >
          <Progress.Section
            value={percent}
            withAria={false}
            animated={batch.state === 'running'}
            striped={batch.state === 'running'}
          />
        </Progress.Root>
        <Group gap="md" wrap="wrap">
          <Text size="xs" style={{ fontVariantNumeric: 'tabular-nums' }}>
            {t('batches.doneOfTotal', { done: p.done, total: p.total })}
          </Text>
          <Text size="xs" c="dimmed" style={{ fontVariantNumeric: 'tabular-nums' }}>
            {p.rate === null
              ? t('batches.measuringRate')
              : t('batches.rate', { rate: p.rate.toFixed(p.rate < 10 ? 1 : 0) })}
          </Text>
          {batch.pace && (
            <Text size="xs" c="dimmed" style={{ fontVariantNumeric: 'tabular-nums' }}>
              {paceText(batch.pace)}
            </Text>
          )}
          <Text size="xs" c="dimmed" style={{ fontVariantNumeric: 'tabular-nums' }}>
            {batch.state === 'paused'
              ? batchStateWord('paused')
              : p.secondsLeft === null
                ? t('batches.estimating')
                : t('batches.timeLeft', { seconds: p.secondsLeft })}
          </Text>
        </Group>
      </Stack>
    </Paper>
  );
}
