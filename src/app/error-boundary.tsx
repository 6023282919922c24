import { Alert, Button, Container } from '@mantine/core';
import { Component, type ReactNode } from 'react';

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
    return (
      <Container size="sm" py="xl">
        <Alert color="red" title="The console hit an unexpected error" role="alert">
          <p>{this.state.error.message}</p>
          <p>Your form content is kept; reloading the page usually recovers.</p>
          <Button size="xs" onClick={() => window.location.reload()}>
            Reload
          </Button>
        </Alert>
      </Container>
    );
  }
}
