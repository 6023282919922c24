import type { Translation } from '../../../messages';
import type { moves as en } from '../../en/features/moves';

export const moves: Translation<typeof en> = {};
