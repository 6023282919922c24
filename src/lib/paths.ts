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
  /** An object's page; its parameters are `dataclass` and `objectId`. */
  object: '/objects/:dataclass/:objectId',
  /** Its parameter is `moveId`. */
  move: '/moves/:moveId',
  pairs: '/pairs',
  /** Whatever no other route matched. */
  rest: '*',
} as const;

/** Links to the SPA's pages. */
export const paths = {
  home: (): string => routes.home,
  history: (): string => routes.history,
  /** A batch's page; the ID is encoded, so any ID makes a single path segment. */
  batch: (batchId: string): string => `/batches/${encodeURIComponent(batchId)}`,
  /** An object's page (`dataclass` is alerts, incidents or indicators). */
  object: (dataclass: string, objectId: string): string =>
    `/objects/${encodeURIComponent(dataclass)}/${encodeURIComponent(objectId)}`,
  /** The history filtered to the batches that touched one ID. */
  historyTouching: (id: string): string =>
    `${routes.history}?${new URLSearchParams({ touches: id }).toString()}`,
  /** The associate form with this subject and related class filled in (read once on load). */
  associateWith: (subjectClass: string, subjectId: string, relatedClass: string): string =>
    `${routes.home}?${new URLSearchParams({
      subject_class: subjectClass,
      subject: subjectId,
      related_class: relatedClass,
    }).toString()}`,
  /** A move's page (the ID encoded like a batch's). */
  move: (moveId: string): string => `/moves/${encodeURIComponent(moveId)}`,
  /** The batch-of-pairs form. */
  pairs: (): string => routes.pairs,
};
