/**
 * Reads of the graph: an object's links are the first page of each class's relation search
 * (`secmasterQueries.relations`, so a settled batch refreshes them like every other list of
 * links). One page of GRAPH_NODE_CAP is enough: no more nodes than that are ever drawn.
 */
import { dataclassTypes, type DataclassType } from '../../api/schemas';
import { secmasterQueries } from '../../api/secmaster-queries';
import { GRAPH_NODE_CAP } from './graph-model';

export interface GraphScope {
  projectId: string;
  workspaceId: string;
}

/** The three relation searches (one per related class) of one object. */
export function linksQueries(scope: GraphScope, dataclass: DataclassType, id: string) {
  return dataclassTypes.map((related) => ({
    related,
    query: secmasterQueries.relations(scope.projectId, scope.workspaceId, dataclass, id, related, {
      limit: GRAPH_NODE_CAP,
      offset: 0,
    }),
  }));
}
