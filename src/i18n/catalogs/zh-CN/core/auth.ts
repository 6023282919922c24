import type { Translation } from '../../../messages';
import type { auth as en } from '../../en/core/auth';

export const auth: Translation<typeof en> = {};
