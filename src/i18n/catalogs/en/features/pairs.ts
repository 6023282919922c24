import type { Messages } from '../../../messages';

export const pairs = {} satisfies Messages;
