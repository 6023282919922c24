/**
 * Features that the first paint does not need are split into their own chunks, so the first
 * page's JavaScript stays small (budget checked by scripts/bundle-budget.mjs). Each one can be
 * preloaded: the shell starts a chunk's download as soon as it knows the chunk will be wanted
 * (e.g. the associate form while the session, config and workspaces are read), and once loaded a
 * chunk renders without a Suspense fallback.
 */
import { lazy, useEffect, useSyncExternalStore, type ComponentType } from 'react';
import { ensurePart } from '../i18n/load';

export interface PreloadableComponent<P> {
  Component: ComponentType<P>;
  /** Starts (or joins) the chunk's download; never rejects (a failed load is retried on render). */
  preload: () => void;
  /** True once the chunk has loaded, or its load has failed (rendering then retries and throws). */
  settled: () => boolean;
  subscribe: (listener: () => void) => () => void;
}

function preloadable<M, P extends object>(
  loadChunk: () => Promise<M>,
  pick: (m: M) => ComponentType<P>,
): PreloadableComponent<P> {
  // A lazy page's words are in the catalog's `features` part: it loads alongside the chunk.
  const load = () => Promise.all([loadChunk(), ensurePart('features')]).then(([m]) => m);
  let loaded: M | undefined;
  let failed = false;
  let pending: Promise<M> | undefined;
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  const start = (): Promise<M> => {
    pending ??= load().then(
      (m) => {
        loaded = m;
        failed = false;
        notify();
        return m;
      },
      (err: unknown) => {
        pending = undefined;
        failed = true;
        notify();
        throw err;
      },
    );
    return pending;
  };
  const Component = lazy(() => {
    const ready = loaded;
    if (ready !== undefined) {
      // Already loaded: a thenable that settles synchronously, so React renders the component at
      // once instead of showing the fallback for a tick.
      const sync = {
        then: (resolve: (m: { default: ComponentType<P> }) => void) =>
          resolve({ default: pick(ready) }),
      };
      return sync as unknown as Promise<{ default: ComponentType<P> }>;
    }
    return start().then((m) => ({ default: pick(m) }));
  });
  return {
    Component,
    preload: () => {
      start().catch(() => undefined);
    },
    settled: () => loaded !== undefined || failed,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * Starts a chunk's load and tells when it has settled. Rendering the lazy component only then
 * (and a plain placeholder before) keeps its Suspense boundary from ever showing a fallback: React
 * throttles the reveal of content that replaces a fallback by up to 300 ms, which would otherwise
 * land on the batch page's time to first rows.
 */
export function useChunkSettled(
  chunk: Pick<PreloadableComponent<object>, 'preload' | 'settled' | 'subscribe'>,
): boolean {
  useEffect(() => chunk.preload(), [chunk]);
  return useSyncExternalStore(chunk.subscribe, chunk.settled, chunk.settled);
}

export const associateForm = preloadable(
  () => import('../features/associate/associate-form'),
  (m) => m.AssociateForm,
);
export const batchView = preloadable(
  () => import('../features/batches/batch-view'),
  (m) => m.BatchView,
);
export const currentAssociations = preloadable(
  () => import('../features/relations/current-associations'),
  (m) => m.CurrentAssociations,
);
export const historyPage = preloadable(
  () => import('../features/history/history-page'),
  (m) => m.HistoryPage,
);
export const objectPage = preloadable(
  () => import('./object-page'),
  (m) => m.ObjectPage,
);
/** The object page's Graph tab (xyflow lives in this chunk only). */
export const relationGraph = preloadable(
  () => import('../features/graph/relation-graph'),
  (m) => m.default,
);
export const moveView = preloadable(
  () => import('../features/moves/move-view'),
  (m) => m.MoveView,
);
export const pairsForm = preloadable(
  () => import('../features/pairs/pairs-form'),
  (m) => m.PairsForm,
);
export const moveDialog = preloadable(
  () => import('../features/moves/move-dialog'),
  (m) => m.MoveDialog,
);
export const signInPage = preloadable(
  () => import('../features/auth/sign-in-page'),
  (m) => m.SignInPage,
);

export const LazyAssociateForm = associateForm.Component;
export const LazyBatchView = batchView.Component;
export const LazyCurrentAssociations = currentAssociations.Component;
export const LazyHistoryPage = historyPage.Component;
export const LazyObjectPage = objectPage.Component;
export const LazyRelationGraph = relationGraph.Component;
export const LazySignInPage = signInPage.Component;
export const LazyMoveView = moveView.Component;
export const LazyPairsForm = pairsForm.Component;
/** The move dialog, for pages that offer "Move selected" (mount it only once it is opened). */
export const LazyMoveDialog = moveDialog.Component;
