/**
 * Starts what a route will need as early as possible, instead of in a waterfall of renders: the
 * route's code chunk at once; then, the moment the session answers and allows reads, the console
 * config followed by the workspace list, and for `/batches/{id}` the batch summary and the results
 * table's first page. These are the same React Query entries the components read (React Query
 * stays the only owner of server state); main.tsx calls this before React's first render, and the
 * shell again on every in-app navigation.
 */
import type { QueryClient } from '@tanstack/react-query';
import { matchPath } from 'react-router';
import { batchQueries, consoleQueries } from '../api/console-queries';
import { secmasterQueries } from '../api/secmaster-queries';
import { mustSignIn, sessionQueries } from '../features/auth/queries';
import { RESULTS_PAGE_SIZE } from '../features/batches/item-pages';
import { routes } from '../lib/paths';
import {
  associateForm,
  batchView,
  historyPage,
  moveView,
  objectPage,
  pairsForm,
} from './lazy-features';

/** Returns a function that stops whatever has not started yet (e.g. on the next navigation). */
export function preloadRoute(queryClient: QueryClient, pathname: string): () => void {
  const onHistory = matchPath(routes.history, pathname) !== null;
  const batchId = matchPath(routes.batch, pathname)?.params.batchId;
  const onObject = matchPath(routes.object, pathname) !== null;
  if (onHistory) historyPage.preload();
  else if (onObject) objectPage.preload();
  else if (batchId) batchView.preload();
  else if (matchPath(routes.move, pathname)) moveView.preload();
  else if (matchPath(routes.pairs, pathname)) pairsForm.preload();
  else associateForm.preload();

  let active = true;
  const ignore = () => undefined;
  queryClient
    .fetchQuery(sessionQueries.current())
    .then((session) => {
      // The sign-in gate: nothing of the console is read until the session allows it.
      if (!active || mustSignIn(session)) return;
      queryClient
        .fetchQuery(consoleQueries.config())
        .then((config) => queryClient.prefetchQuery(secmasterQueries.workspaces(config.projectId)))
        .catch(ignore);
      if (!batchId) return;
      // The batch's reads first, the form's chunks after them: the browser opens only a few
      // connections per origin, and the results table is what this URL is for.
      void Promise.allSettled([
        queryClient.prefetchQuery(batchQueries.detail(batchId)),
        queryClient.prefetchQuery(
          batchQueries.items(batchId, {
            state: undefined,
            q: undefined,
            offset: 0,
            limit: RESULTS_PAGE_SIZE,
          }),
        ),
      ]).then(() => {
        if (active) associateForm.preload();
      });
    })
    .catch(ignore);
  return () => {
    active = false;
  };
}
