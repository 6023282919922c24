/**
 * Every path of the SPA: the patterns the router matches (`routes`) and the links to them
 * (`paths`). Links are built here only, so a route and the links to it cannot drift apart. Lives in
 * lib/ because the features link to pages and may not import the app shell.
 */

/** Router patterns (for `<Route path>` and `matchPath`). */
export const routes = {
  home: '/',
  history: '/history',
  /** Its parameter is `batchId`. */
  batch: '/batches/:batchId',
  /** Whatever no other route matched. */
  rest: '*',
} as const;

/** Links to the SPA's pages. */
export const paths = {
  home: (): string => routes.home,
  history: (): string => routes.history,
  /** A batch's page; the ID is encoded, so any ID makes a single path segment. */
  batch: (batchId: string): string => `/batches/${encodeURIComponent(batchId)}`,
};
