import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render as rtlRender, type RenderOptions } from '@testing-library/react';
import type { ReactElement, ReactNode } from 'react';
import { MemoryRouter } from 'react-router';
import { cssVariablesResolver, theme } from '../app/theme';

export function createTestQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } },
  });
}

/** Renders with Mantine (test env), a fresh QueryClient and a memory router. */
export function render(
  ui: ReactElement,
  opts: RenderOptions & { route?: string; queryClient?: QueryClient } = {},
) {
  const queryClient = opts.queryClient ?? createTestQueryClient();
  function Wrapper({ children }: { children: ReactNode }) {
    return (
      <QueryClientProvider client={queryClient}>
        <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} env="test">
          <MemoryRouter initialEntries={[opts.route ?? '/']}>{children}</MemoryRouter>
        </MantineProvider>
      </QueryClientProvider>
    );
  }
  return { queryClient, ...rtlRender(ui, { wrapper: Wrapper, ...opts }) };
}
