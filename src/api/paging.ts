/** Helpers for reading a whole server-paged list, a page at a time. */

export interface Page<T> {
  items: T[];
  total: number;
}

/**
 * Reads every page of a list (`offset`/`limit` paging) and returns the items in order.
 * Stops at the first short or empty page, or once `total` items were read, so a list
 * that shrinks or grows while it is read cannot loop forever.
 */
export async function collectAllPages<T>(
  fetchPage: (offset: number, limit: number) => Promise<Page<T>>,
  pageSize: number,
): Promise<T[]> {
  const all: T[] = [];
  let offset = 0;
  for (;;) {
    const page = await fetchPage(offset, pageSize);
    all.push(...page.items);
    offset += page.items.length;
    if (page.items.length < pageSize || page.items.length === 0 || offset >= page.total) break;
  }
  return all;
}

/** Drops repeated values, first copy wins (pages may overlap when the list changes underneath). */
export function uniqueInOrder(values: readonly string[]): string[] {
  return [...new Set(values)];
}
