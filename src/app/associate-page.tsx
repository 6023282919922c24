import { Alert, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Suspense, useEffect, useState, type ReactNode } from 'react';
import { useNavigate, useParams } from 'react-router';
import { batchQueries } from '../api/console-queries';
import type { ConsoleConfig, SubjectSelection } from '../api/schemas';
import { isRelationsKey } from '../api/secmaster-queries';
import { useT } from '../i18n/i18n';
import { isBatchSettled } from '../lib/batch-states';
import { paths } from '../lib/paths';
import { newWorkState } from './arrival-focus';
import classes from './associate-page.module.css';
import {
  associateForm,
  batchView,
  LazyAssociateForm,
  LazyBatchView,
  LazyCurrentAssociations,
  LazyMoveDialog,
  useChunkSettled,
} from './lazy-features';

/** Refreshes the subject's current associations once a batch stops running. */
function useRefreshRelationsWhenBatchEnds(batchId: string | undefined) {
  const queryClient = useQueryClient();
  const batch = useQuery({ ...batchQueries.detail(batchId ?? ''), enabled: !!batchId });
  const state = batch.data?.state;
  useEffect(() => {
    if (isBatchSettled(state)) {
      void queryClient.invalidateQueries({ predicate: (q) => isRelationsKey(q.queryKey) });
    }
  }, [state, queryClient]);
}

export function AssociatePage({
  config,
  workspaceId,
  workspacesPending = false,
}: {
  config: ConsoleConfig;
  workspaceId: string | null;
  /** The workspace list is still loading (the form waits for it; a batch does not). */
  workspacesPending?: boolean;
}) {
  const t = useT();
  const { batchId } = useParams();
  const navigate = useNavigate();
  const [subject, setSubject] = useState<SubjectSelection | null>(null);
  // The IDs "Move selected" asked to move (the move dialog is open while set).
  // The move dialog is mounted only while open; closing it gives focus back to the button that
  // opened it ("Move selected"), which the dialog's own unmount cannot do.
  const [moving, setMoving] = useState<{
    subject: SubjectSelection;
    ids: string[];
    titles: ReadonlyMap<string, string>;
    opener: HTMLElement | null;
  } | null>(null);
  useRefreshRelationsWhenBatchEnds(batchId);
  // A new batch or move: its page takes focus to its heading (arrival-focus.ts).
  const openBatch = (id: string) => void navigate(paths.batch(id), { state: newWorkState });
  const formReady = useChunkSettled(associateForm);
  const batchViewReady = useChunkSettled(batchView);

  let form: ReactNode;
  if (workspaceId) {
    form = (
      <Paper withBorder p="md" component="section" aria-labelledby="form-title">
        <Title order={2} size="h5" id="form-title" mb="sm">
          {t('shell.formTitle')}
        </Title>
        {formReady ? (
          <Suspense
            fallback={<Loader size="sm" role="status" aria-label={t('shell.loadingForm')} />}
          >
            <LazyAssociateForm
              key={workspaceId}
              projectId={config.projectId}
              workspaceId={workspaceId}
              onSubjectChange={setSubject}
              onBatchCreated={openBatch}
              onMoveCreated={(id) => void navigate(paths.move(id), { state: newWorkState })}
            />
          </Suspense>
        ) : (
          <Loader size="sm" role="status" aria-label={t('shell.loadingForm')} />
        )}
      </Paper>
    );
  } else if (workspacesPending) {
    form = <Loader size="sm" role="status" aria-label={t('shell.loadingWorkspaces')} />;
  } else {
    form = (
      <Alert color="gray" title={t('shell.noWorkspace')}>
        {t('shell.chooseWorkspaceToStart')}
      </Alert>
    );
  }

  // The batch of the URL shows without waiting for the workspaces (it names its own).
  return (
    <div className={classes.layout}>
      <div>{form}</div>
      <div>
        <Stack gap="md">
          {batchId ? (
            <Paper withBorder p="md" component="section" aria-label={t('shell.batchRegion')}>
              {batchViewReady ? (
                <Suspense
                  fallback={<Loader size="sm" role="status" aria-label={t('shell.loadingBatch')} />}
                >
                  <LazyBatchView batchId={batchId} onBatchCreated={openBatch} />
                </Suspense>
              ) : (
                <Loader size="sm" role="status" aria-label={t('shell.loadingBatch')} />
              )}
            </Paper>
          ) : (
            <Paper withBorder p="md">
              <Text size="sm" c="dimmed">
                {t('shell.noBatchYet')}
              </Text>
            </Paper>
          )}
          {subject && workspaceId && (
            <Paper withBorder p="md">
              <Suspense
                fallback={
                  <Loader size="sm" role="status" aria-label={t('shell.loadingAssociations')} />
                }
              >
                <LazyCurrentAssociations
                  projectId={config.projectId}
                  workspaceId={workspaceId}
                  subject={subject}
                  onBatchCreated={openBatch}
                  onMoveSelected={(ids, titles) =>
                    setMoving({
                      subject,
                      ids,
                      titles,
                      opener:
                        document.activeElement instanceof HTMLElement
                          ? document.activeElement
                          : null,
                    })
                  }
                />
              </Suspense>
            </Paper>
          )}
          {moving && workspaceId && (
            <Suspense fallback={null}>
              <LazyMoveDialog
                opened
                onClose={() => {
                  const opener = moving.opener;
                  setMoving(null);
                  requestAnimationFrame(() => {
                    if (opener?.isConnected) opener.focus();
                  });
                }}
                workspaceId={workspaceId}
                dataclass={moving.subject.dataclass_type}
                sourceId={moving.subject.data_object_id}
                relatedClass={moving.subject.related_dataclass_type}
                ids={moving.ids}
                titles={moving.titles}
              />
            </Suspense>
          )}
        </Stack>
      </div>
    </div>
  );
}
