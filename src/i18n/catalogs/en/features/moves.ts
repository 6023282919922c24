import type { Messages } from '../../../messages';

export const moves = {} satisfies Messages;
