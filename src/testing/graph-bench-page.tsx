/**
 * A page with the relation graph alone, for `npm run bench` (bench/graph.ts builds it apart from
 * the app and serves it from the console's origin, so its reads go to the real server). Reads the
 * object from the query string: `?workspace=&dataclass=&id=`. Not part of the app's build.
 */
import '@mantine/core/styles.css';
import { MantineProvider } from '@mantine/core';
import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { dataclassTypeSchema } from '../api/schemas';
import { createQueryClient } from '../app/query-client';
import { cssVariablesResolver, theme } from '../app/theme';
import RelationGraph from '../features/graph/relation-graph';
import { ensurePart, loadLanguage } from '../i18n/load';

const params = new URLSearchParams(window.location.search);
const root = document.getElementById('root');
if (!root) throw new Error('The page has no #root element.');
const opened: string[] = [];
Object.defineProperty(window, '__opened', { value: opened });

// The graph's words are in the English catalog's two parts, loaded as the app loads them.
await loadLanguage('en');
await ensurePart('features');

createRoot(root).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver}>
      <QueryClientProvider client={createQueryClient()}>
        <RelationGraph
          workspaceId={params.get('workspace') ?? ''}
          dataclass={dataclassTypeSchema.parse(params.get('dataclass'))}
          objectId={params.get('id') ?? ''}
          onOpen={(dataclass, id) => opened.push(`${dataclass}/${id}`)}
        />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
