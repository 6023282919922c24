import { Loader, Paper } from '@mantine/core';
import { Suspense } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useT } from '../i18n/i18n';
import { paths } from '../lib/paths';
import { LazyMoveView } from './lazy-features';

/** `/moves/{id}`: one move, followed live; its undo opens the new move's page. */
export function MovePage() {
  const { moveId = '' } = useParams();
  const t = useT();
  const navigate = useNavigate();
  return (
    <Paper withBorder p="md">
      <Suspense fallback={<Loader size="sm" role="status" aria-label={t('shell.loadingMove')} />}>
        <LazyMoveView
          key={moveId}
          moveId={moveId}
          onMoveCreated={(id) => void navigate(paths.move(id))}
        />
      </Suspense>
    </Paper>
  );
}
