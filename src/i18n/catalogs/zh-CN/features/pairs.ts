import type { Translation } from '../../../messages';
import type { pairs as en } from '../../en/features/pairs';

export const pairs: Translation<typeof en> = {};
