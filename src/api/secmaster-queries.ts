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

export const secmasterQueries = {
  workspaces: (projectId: string) =>
    queryOptions({
      queryKey: ['secmaster', projectId, 'workspaces'],
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
      queryKey: ['secmaster', projectId, workspaceId, dataclass, 'search', body],
      queryFn: ({ signal }) =>
        request(
          `${workspacePath(projectId, workspaceId)}/soc/${dataclass}/search`,
          searchResponseSchema,
          { method: 'POST', body, signal },
        ),
    }),

  object: (projectId: string, workspaceId: string, dataclass: DataclassType, id: string) =>
    queryOptions({
      queryKey: ['secmaster', projectId, workspaceId, dataclass, 'object', id],
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
      queryKey: [
        'secmaster',
        projectId,
        workspaceId,
        dataclass,
        objectId,
        'relations',
        related,
        body,
      ],
      queryFn: ({ signal }) =>
        request(
          `${workspacePath(projectId, workspaceId)}/soc/${dataclass}/${seg(objectId)}/${related}/search`,
          searchResponseSchema,
          { method: 'POST', body, signal },
        ),
    }),
};
