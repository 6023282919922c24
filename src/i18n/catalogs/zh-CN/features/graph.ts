import type { Translation } from '../../../messages';
import type { graph as en } from '../../en/features/graph';

export const graph: Translation<typeof en> = {};
