import type { Translation } from '../../../messages';
import type { relations as en } from '../../en/features/relations';

export const relations: Translation<typeof en> = {};
