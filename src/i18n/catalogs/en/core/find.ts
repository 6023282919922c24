import type { Messages } from '../../../messages';

export const find = {} satisfies Messages;
