/**
 * What the console may ask of SecMaster, as data. Each operation is a tagged value with a fixed
 * method, path template and body shape, so a call the console has no business making cannot be
 * expressed. Paths are built from the configured project plus validated segments, never from
 * request text, and an invalid segment throws before anything could be sent. Pure: no I/O (the
 * client in `client.ts` signs and sends).
 */
import { dataclassTypes, isWellFormedId, type DataclassType } from '../../src/api/schemas';

/** The search body that selects exactly these IDs (one definition, shared with the SPA). */
export { idsSearchBody } from '../../src/api/schemas';

/** Paging query values accepted (offset/limit only, small integers), here and on `/v1`. */
export const PAGING_VALUE = /^\d{1,7}$/;

export interface PagingQuery {
  offset?: number;
  limit?: number;
}

/** Every upstream operation the console may perform. Anything else cannot be expressed. */
export type UpstreamOperation =
  | { op: 'listWorkspaces'; query?: PagingQuery }
  | { op: 'showWorkspace'; workspaceId: string }
  | { op: 'listDataclasses'; workspaceId: string; query?: PagingQuery }
  | { op: 'search'; workspaceId: string; dataclass: DataclassType; body: unknown }
  | { op: 'show'; workspaceId: string; dataclass: DataclassType; objectId: string }
  | {
      op: 'relationSearch';
      workspaceId: string;
      dataclass: DataclassType;
      objectId: string;
      related: DataclassType;
      body: unknown;
    }
  | {
      op: 'associate' | 'cancel';
      workspaceId: string;
      dataclass: DataclassType;
      objectId: string;
      related: DataclassType;
      ids: readonly string[];
    };

/** Invalid input to the URL builder: a programming or validation error, nothing was sent. */
export class UpstreamRequestError extends Error {
  override name = 'UpstreamRequestError';
}

function checkId(value: string, what: string): string {
  if (!isWellFormedId(value)) throw new UpstreamRequestError(`${what} is not a well-formed ID`);
  return encodeURIComponent(value);
}

function checkClass(value: string, what: string): string {
  if (!(dataclassTypes as readonly string[]).includes(value)) {
    throw new UpstreamRequestError(`${what} is not a known data class`);
  }
  return encodeURIComponent(value);
}

function queryString(query: PagingQuery | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const key of ['offset', 'limit'] as const) {
    const v = query[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 0 || !PAGING_VALUE.test(String(v))) {
      throw new UpstreamRequestError(`${key} must be a small non-negative integer`);
    }
    params.set(key, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/**
 * The path (no origin, no endpoint prefix) each operation maps to under `projectId`, which the
 * caller has already checked. Throws UpstreamRequestError on a segment that is not well formed.
 */
export function operationPaths(projectId: string): (operation: UpstreamOperation) => string {
  const root = `/v1/${encodeURIComponent(projectId)}/workspaces`;
  return (operation) => {
    switch (operation.op) {
      case 'listWorkspaces':
        return `${root}${queryString(operation.query)}`;
      case 'showWorkspace':
        return `${root}/${checkId(operation.workspaceId, 'workspace_id')}`;
      case 'listDataclasses':
        return `${root}/${checkId(operation.workspaceId, 'workspace_id')}/soc/dataclasses${queryString(operation.query)}`;
      case 'search':
        return `${root}/${checkId(operation.workspaceId, 'workspace_id')}/soc/${checkClass(operation.dataclass, 'dataclass_type')}/search`;
      case 'show':
        return `${root}/${checkId(operation.workspaceId, 'workspace_id')}/soc/${checkClass(operation.dataclass, 'dataclass_type')}/${checkId(operation.objectId, 'data_object_id')}`;
      case 'relationSearch':
        return `${root}/${checkId(operation.workspaceId, 'workspace_id')}/soc/${checkClass(operation.dataclass, 'dataclass_type')}/${checkId(operation.objectId, 'data_object_id')}/${checkClass(operation.related, 'related_dataclass_type')}/search`;
      case 'associate':
      case 'cancel':
        return `${root}/${checkId(operation.workspaceId, 'workspace_id')}/soc/${checkClass(operation.dataclass, 'dataclass_type')}/${checkId(operation.objectId, 'data_object_id')}/${checkClass(operation.related, 'related_dataclass_type')}`;
    }
  };
}

export function methodOf(operation: UpstreamOperation): 'GET' | 'POST' | 'DELETE' {
  switch (operation.op) {
    case 'listWorkspaces':
    case 'showWorkspace':
    case 'listDataclasses':
    case 'show':
      return 'GET';
    case 'search':
    case 'relationSearch':
    case 'associate':
      return 'POST';
    case 'cancel':
      return 'DELETE';
  }
}

/** The JSON text sent with an operation, or undefined for none. Related IDs are checked here. */
export function bodyOf(operation: UpstreamOperation): string | undefined {
  switch (operation.op) {
    case 'search':
    case 'relationSearch':
      return JSON.stringify(operation.body ?? {});
    case 'associate':
    case 'cancel':
      for (const id of operation.ids) checkId(id, 'a related ID');
      return JSON.stringify({ ids: operation.ids });
    default:
      return undefined;
  }
}
