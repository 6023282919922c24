import { Alert, Button, Container } from '@mantine/core';
import { Component, type ReactNode } from 'react';
import { useT } from '../i18n/i18n';

interface State {
  error: Error | null;
}

/** Last line of defence: a readable message instead of a blank screen. */
export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return <ErrorScreen error={this.state.error} />;
  }
}

function ErrorScreen({ error }: { error: Error }) {
  const t = useT();
  return (
    <Container size="sm" py="xl">
      <Alert color="red" title={t('shell.errorTitle')} role="alert">
        {/* The error's own text (from code, not the interface): shown as it is. */}
        <p translate="no">{error.message}</p>
        <p>{t('shell.errorKept')}</p>
        <Button size="xs" onClick={() => window.location.reload()}>
          {t('shell.reload')}
        </Button>
      </Alert>
    </Container>
  );
}
