import type { Translation } from '../../../messages';
import type { objects as en } from '../../en/features/objects';

export const objects: Translation<typeof en> = {};
