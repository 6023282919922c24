/**
 * Reads of the relations vertical. The list itself is `secmasterQueries.relations`, keyed by
 * `secmasterKeys.relations`: the app invalidates every such key (`isRelationsKey`) when a batch
 * settles.
 */
import type { QueryClient } from '@tanstack/react-query';
import { collectAllPages, uniqueInOrder } from '../../api/paging';
import type { DataObjectDetail, SubjectSelection } from '../../api/schemas';
import { secmasterQueries } from '../../api/secmaster-queries';

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

/** The ID to act on for one linked object. */
export function relatedObjectId(detail: DataObjectDetail): string {
  return detail.data_object.id || detail.id;
}

/** Every linked ID of the subject, read through the query cache a page of 1000 at a time. */
export async function fetchAllRelatedIds(
  queryClient: QueryClient,
  scope: RelationsScope,
): Promise<string[]> {
  const details = await collectAllPages(async (offset, limit) => {
    const page = await queryClient.fetchQuery({
      ...relationsPageQuery(scope, offset, limit),
      staleTime: 0,
    });
    return { items: page.data, total: page.total ?? Number.POSITIVE_INFINITY };
  }, RELATIONS_READ_ALL_PAGE);
  return uniqueInOrder(details.map(relatedObjectId));
}
