import { Alert, Grid, Loader, Paper, Text, Title } from '@mantine/core';
import { Suspense } from 'react';
import { useNavigate } from 'react-router';
import type { ConsoleConfig } from '../api/schemas';
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
  const navigate = useNavigate();
  if (!workspaceId) {
    return workspacesPending ? (
      <Loader size="sm" role="status" aria-label="Loading the workspaces" />
    ) : (
      <Alert color="gray" title="No workspace">
        Choose a workspace in the header to start.
      </Alert>
    );
  }
  return (
    <Grid gap="md">
      <Grid.Col span={{ base: 12, md: 7, xl: 6 }}>
        <Paper withBorder p="md" component="section" aria-labelledby="pairs-title">
          <Title order={2} size="h5" id="pairs-title" mb="xs">
            Link or unlink pairs
          </Title>
          <Text size="sm" c="dimmed" mb="sm">
            Each line names a subject and one object to link with it (or unlink from it): one batch
            for many subjects. Its page shows every pair&apos;s outcome.
          </Text>
          <Suspense fallback={<Loader size="sm" role="status" aria-label="Loading the form" />}>
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
