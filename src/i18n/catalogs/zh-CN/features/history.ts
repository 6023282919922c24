import type { Translation } from '../../../messages';
import type { history as en } from '../../en/features/history';

export const history: Translation<typeof en> = {};
