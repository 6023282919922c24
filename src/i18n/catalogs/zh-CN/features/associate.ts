import type { Translation } from '../../../messages';
import type { associate as en } from '../../en/features/associate';

export const associate: Translation<typeof en> = {};
