import type { Translation } from '../../../messages';
import type { batches as en } from '../../en/features/batches';

export const batches: Translation<typeof en> = {};
