/**
 * Reads of the relations vertical. The list itself is `secmasterQueries.relations`, keyed by
 * `secmasterKeys.relations`: the app invalidates every such key (`isRelationsKey`) when a batch
 * settles.
 */
import type { QueryClient } from '@tanstack/react-query';
import { collectAllPages } from '../../api/paging';
import type { SubjectSelection } from '../../api/schemas';
import { secmasterQueries } from '../../api/secmaster-queries';
import { noSelection, toggleRows, type LinkedSelection } from '../../lib/linked-table';

export const RELATIONS_PAGE_SIZE = 50;
/** SecMaster's largest search page. */
export const RELATIONS_READ_ALL_PAGE = 1000;

export interface RelationsScope {
  projectId: string;
  workspaceId: string;
  subject: SubjectSelection;
}

export function relationsPageQuery(scope: RelationsScope, offset: number, limit: number) {
  const { projectId, workspaceId, subject } = scope;
  return secmasterQueries.relations(
    projectId,
    workspaceId,
    subject.dataclass_type,
    subject.data_object_id,
    subject.related_dataclass_type,
    { limit, offset },
  );
}

/**
 * Every linked object of the subject (ID to title, in the list's order), read through the query
 * cache a page of 1000 at a time.
 */
export async function fetchAllRelated(
  queryClient: QueryClient,
  scope: RelationsScope,
): Promise<LinkedSelection> {
  const details = await collectAllPages(async (offset, limit) => {
    const page = await queryClient.fetchQuery({
      ...relationsPageQuery(scope, offset, limit),
      staleTime: 0,
    });
    return { items: page.data, total: page.total ?? Number.POSITIVE_INFINITY };
  }, RELATIONS_READ_ALL_PAGE);
  return toggleRows(noSelection, details, true);
}
