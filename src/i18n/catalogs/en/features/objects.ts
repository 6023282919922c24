import type { Messages } from '../../../messages';

export const objects = {} satisfies Messages;
