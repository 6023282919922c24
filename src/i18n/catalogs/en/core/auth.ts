import type { Messages } from '../../../messages';

export const auth = {} satisfies Messages;
