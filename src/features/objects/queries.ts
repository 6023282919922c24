/**
 * Reads of the objects vertical: finding an object of any class, one object, the objects linked to
 * it (one class at a time, paged and searched on the server) and the batches that touched it.
 * Every SecMaster read goes through `secmasterQueries` (src/api), so its keys are the shared ones:
 * a settled batch refreshes the linked lists (`isRelationsKey`), and an object read here is the
 * one the subject picker reads.
 */
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { request } from '../../api/client';
import { batchKeys } from '../../api/console-queries';
import {
  canonicalId,
  dataclassTypes,
  isWellFormedId,
  type DataclassType,
  type DataObjectDetail,
  type DataobjectSearch,
} from '../../api/schemas';
import { secmasterQueries } from '../../api/secmaster-queries';

/** Options per class in the "Find an object" list. */
export const FIND_LIMIT = 10;
/** Rows per page of a "Linked …" region. */
export const LINKED_PAGE_SIZE = 20;
/** Batches listed under "Batches on this object". */
export const TOUCHING_LIMIT = 20;

/** The field an analyst recognises an object of this class by: title, or an indicator's name. */
function titleField(dataclass: DataclassType): string {
  return dataclass === 'indicators' ? 'name' : 'title';
}

/**
 * The search body for what an analyst typed: an ID-shaped text is looked up exactly (`id in`, in
 * the form SecMaster stores IDs), anything else is a title (indicators: name) `contains`.
 */
export function textSearchBody(
  dataclass: DataclassType,
  text: string,
  offset: number,
  limit: number,
): DataobjectSearch {
  const trimmed = text.trim();
  if (trimmed === '') return { limit, offset };
  if (isWellFormedId(trimmed)) {
    return {
      limit,
      offset,
      condition: {
        conditions: [{ name: 'id', data: ['id', 'in', canonicalId(trimmed)] }],
        logics: ['id'],
      },
    };
  }
  const field = titleField(dataclass);
  return {
    limit,
    offset,
    condition: {
      conditions: [{ name: field, data: [field, 'contains', trimmed] }],
      logics: [field],
    },
  };
}

/** The ID to link to for a search or relation row (`data_object.id`, else the detail's own). */
export function objectIdOf(detail: DataObjectDetail): string {
  return detail.data_object.id || detail.id;
}

export function isDataclass(value: string | undefined): value is DataclassType {
  return (dataclassTypes as readonly (string | undefined)[]).includes(value);
}

/**
 * The lines of `GET /api/batches` the object page shows, read leniently: the list may hold
 * batches, batches of pairs and moves (`kind`), whose summaries differ in what else they carry.
 */
const touchingBatchSchema = z.looseObject({
  id: z.string(),
  kind: z.string().nullish(),
  action: z.string().nullish(),
  state: z.string(),
  dataclass_type: z.string().nullish(),
  data_object_id: z.string().nullish(),
  destination_id: z.string().nullish(),
  related_dataclass_type: z.string().nullish(),
  user: z.string().nullish(),
  total: z.number().nullish(),
  created_at: z.string(),
});
export type TouchingBatch = z.infer<typeof touchingBatchSchema>;

const touchingListSchema = z.looseObject({
  items: z.array(touchingBatchSchema),
  total: z.number(),
});

export const objectsQueries = {
  /** One class's candidates for "Find an object". */
  find: (projectId: string, workspaceId: string, dataclass: DataclassType, text: string) =>
    secmasterQueries.search(
      projectId,
      workspaceId,
      dataclass,
      textSearchBody(dataclass, text, 0, FIND_LIMIT),
    ),

  object: (projectId: string, workspaceId: string, dataclass: DataclassType, id: string) =>
    secmasterQueries.object(projectId, workspaceId, dataclass, id),

  /**
   * A page of the `related` objects linked to the object, searched inside by `text`. SecMaster
   * shows a link from both ends (linking alert A to incident B also lists A under B's alerts), so
   * this one search, made from the object, covers the links made in both directions: the links
   * made with this object as the subject and those made with it as the related object.
   */
  linked: (
    projectId: string,
    workspaceId: string,
    dataclass: DataclassType,
    objectId: string,
    related: DataclassType,
    text: string,
    offset: number,
  ) =>
    secmasterQueries.relations(
      projectId,
      workspaceId,
      dataclass,
      objectId,
      related,
      textSearchBody(related, text, offset, LINKED_PAGE_SIZE),
    ),

  /**
   * The batches that touched an ID (an item, a subject or a destination), newest first. Under the
   * history's keys, so a new batch refreshes it.
   */
  touching: (id: string) =>
    queryOptions({
      queryKey: [...batchKeys.lists(), { touches: id, limit: TOUCHING_LIMIT }] as const,
      queryFn: ({ signal }) =>
        request(
          `/api/batches?${new URLSearchParams({ touches: id, limit: String(TOUCHING_LIMIT) }).toString()}`,
          touchingListSchema,
          { signal },
        ),
    }),
};
