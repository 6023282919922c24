import type { Messages } from '../../../messages';

export const batches = {} satisfies Messages;
