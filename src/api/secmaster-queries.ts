/** React Query factories for the SecMaster reads the browser makes through `/v1`. */
import { queryOptions } from '@tanstack/react-query';
import { request } from './client';
import {
  searchResponseSchema,
  showResponseSchema,
  workspaceListResponseSchema,
  type DataclassType,
  type DataobjectSearch,
} from './schemas';

const seg = encodeURIComponent;

export function workspacePath(projectId: string, workspaceId: string): string {
  return `/v1/${seg(projectId)}/workspaces/${seg(workspaceId)}`;
}

/**
 * Query keys of the SecMaster reads, from the widest to the narrowest: a project, its workspace
 * list, then one workspace's objects of one class, split by kind of read (`search`, `object`,
 * `relations`) so that a prefix reaches one kind only.
 */
export const secmasterKeys = {
  all: ['secmaster'] as const,
  project: (projectId: string) => [...secmasterKeys.all, projectId] as const,
  workspaces: (projectId: string) => [...secmasterKeys.project(projectId), 'workspaces'] as const,
  dataclass: (projectId: string, workspaceId: string, dataclass: DataclassType) =>
    [...secmasterKeys.project(projectId), workspaceId, dataclass] as const,
  search: (
    projectId: string,
    workspaceId: string,
    dataclass: DataclassType,
    body: DataobjectSearch,
  ) => [...secmasterKeys.dataclass(projectId, workspaceId, dataclass), 'search', body] as const,
  object: (projectId: string, workspaceId: string, dataclass: DataclassType, id: string) =>
    [...secmasterKeys.dataclass(projectId, workspaceId, dataclass), 'object', id] as const,
  /** Every page of the objects linked to one subject, of every related class. */
  relationsOf: (
    projectId: string,
    workspaceId: string,
    dataclass: DataclassType,
    objectId: string,
  ) =>
    [...secmasterKeys.dataclass(projectId, workspaceId, dataclass), 'relations', objectId] as const,
  relations: (
    projectId: string,
    workspaceId: string,
    dataclass: DataclassType,
    objectId: string,
    related: DataclassType,
    body: DataobjectSearch,
  ) =>
    [
      ...secmasterKeys.relationsOf(projectId, workspaceId, dataclass, objectId),
      related,
      body,
    ] as const,
};

/** Where the keys below `dataclass` name their kind of read. */
const KIND_AT = secmasterKeys.dataclass('', '', 'incidents').length;

/**
 * True for the key of any page of any subject's linked objects: what to read afresh once a batch,
 * which may have changed the links of any subject, has settled.
 */
export function isRelationsKey(queryKey: readonly unknown[]): boolean {
  return queryKey[0] === secmasterKeys.all[0] && queryKey[KIND_AT] === 'relations';
}

export const secmasterQueries = {
  workspaces: (projectId: string) =>
    queryOptions({
      queryKey: secmasterKeys.workspaces(projectId),
      queryFn: ({ signal }) =>
        request(
          `/v1/${seg(projectId)}/workspaces?offset=0&limit=100`,
          workspaceListResponseSchema,
          {
            signal,
          },
        ),
      staleTime: 5 * 60_000,
    }),

  /** Search objects of one class (title contains, or exact id). */
  search: (
    projectId: string,
    workspaceId: string,
    dataclass: DataclassType,
    body: DataobjectSearch,
  ) =>
    queryOptions({
      queryKey: secmasterKeys.search(projectId, workspaceId, dataclass, body),
      queryFn: ({ signal }) =>
        request(
          `${workspacePath(projectId, workspaceId)}/soc/${dataclass}/search`,
          searchResponseSchema,
          { method: 'POST', body, signal },
        ),
    }),

  object: (projectId: string, workspaceId: string, dataclass: DataclassType, id: string) =>
    queryOptions({
      queryKey: secmasterKeys.object(projectId, workspaceId, dataclass, id),
      queryFn: ({ signal }) =>
        request(
          `${workspacePath(projectId, workspaceId)}/soc/${dataclass}/${seg(id)}`,
          showResponseSchema,
          { signal },
        ),
    }),

  /** The related objects currently linked to a subject (list associated objects). */
  relations: (
    projectId: string,
    workspaceId: string,
    dataclass: DataclassType,
    objectId: string,
    related: DataclassType,
    body: DataobjectSearch,
  ) =>
    queryOptions({
      queryKey: secmasterKeys.relations(projectId, workspaceId, dataclass, objectId, related, body),
      queryFn: ({ signal }) =>
        request(
          `${workspacePath(projectId, workspaceId)}/soc/${dataclass}/${seg(objectId)}/${related}/search`,
          searchResponseSchema,
          { method: 'POST', body, signal },
        ),
    }),
};
