/**
 * Features that the first screen does not need are split into their own chunks, so the first
 * page's JavaScript stays small (budget checked by scripts/bundle-budget.mjs).
 */
import { lazy } from 'react';

export const LazyBatchView = lazy(() =>
  import('../features/batches/batch-view').then((m) => ({ default: m.BatchView })),
);
export const LazyCurrentAssociations = lazy(() =>
  import('../features/relations/current-associations').then((m) => ({
    default: m.CurrentAssociations,
  })),
);
export const LazyHistoryPage = lazy(() =>
  import('../features/history/history-page').then((m) => ({ default: m.HistoryPage })),
);
