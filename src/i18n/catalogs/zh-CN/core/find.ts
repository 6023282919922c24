import type { Translation } from '../../../messages';
import type { find as en } from '../../en/core/find';

export const find: Translation<typeof en> = {};
