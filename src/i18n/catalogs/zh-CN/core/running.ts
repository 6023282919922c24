import type { Translation } from '../../../messages';
import type { running as en } from '../../en/core/running';

export const running: Translation<typeof en> = {};
