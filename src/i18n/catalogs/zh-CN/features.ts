/** The Simplified Chinese catalog's features part, typed against the English one. */
import type { Translation } from '../../messages';
import type { featuresPart as en } from '../en/features';
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

export const featuresPart: Translation<typeof en> = {
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
