import type { Translation } from '../../../messages';
import type { errors as en } from '../../en/core/errors';

export const errors: Translation<typeof en> = {};
