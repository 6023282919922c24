import { Alert, Grid, Loader, Paper, Text, Title } from '@mantine/core';
import { Suspense } from 'react';
import { useNavigate } from 'react-router';
import type { ConsoleConfig } from '../api/schemas';
import { useT } from '../i18n/i18n';
import { paths } from '../lib/paths';
import { newWorkState } from './arrival-focus';
import { LazyPairsForm } from './lazy-features';

/** `/pairs`: a batch of pairs (each ID with its own subject); a created batch opens its page. */
export function PairsPage({
  config,
  workspaceId,
  workspacesPending = false,
}: {
  config: ConsoleConfig;
  workspaceId: string | null;
  workspacesPending?: boolean;
}) {
  const t = useT();
  const navigate = useNavigate();
  if (!workspaceId) {
    return workspacesPending ? (
      <Loader size="sm" role="status" aria-label={t('shell.loadingWorkspaces')} />
    ) : (
      <Alert color="gray" title={t('shell.noWorkspace')}>
        {t('shell.chooseWorkspaceToStart')}
      </Alert>
    );
  }
  return (
    <Grid gap="md">
      <Grid.Col span={{ base: 12, md: 7, xl: 6 }}>
        <Paper withBorder p="md" component="section" aria-labelledby="pairs-title">
          <Title order={2} size="h5" id="pairs-title" mb="xs">
            {t('shell.pairsTitle')}
          </Title>
          <Text size="sm" c="dimmed" mb="sm">
            {t('shell.pairsIntro')}
          </Text>
          <Suspense
            fallback={<Loader size="sm" role="status" aria-label={t('shell.loadingForm')} />}
          >
            <LazyPairsForm
              key={workspaceId}
              projectId={config.projectId}
              workspaceId={workspaceId}
              onBatchCreated={(id) => void navigate(paths.batch(id), { state: newWorkState })}
            />
          </Suspense>
        </Paper>
      </Grid.Col>
    </Grid>
  );
}
