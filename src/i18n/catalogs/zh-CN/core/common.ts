import type { Translation } from '../../../messages';
import type { common as en } from '../../en/core/common';

export const common: Translation<typeof en> = {};
