import type { Messages } from '../../../messages';

export const relations = {} satisfies Messages;
