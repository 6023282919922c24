/** The English catalog's features part (see ../index.ts). */
import { associate } from './features/associate';
import { relations } from './features/relations';
import { batches } from './features/batches';
import { history } from './features/history';
import { objects } from './features/objects';
import { graph } from './features/graph';
import { moves } from './features/moves';
import { pairs } from './features/pairs';
import { panels } from './features/panels';
import { signin } from './features/signin';

export const featuresPart = {
  ...associate,
  ...relations,
  ...batches,
  ...history,
  ...objects,
  ...graph,
  ...moves,
  ...pairs,
  ...panels,
  ...signin,
};
