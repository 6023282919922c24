import type { Messages } from '../../../messages';

export const associate = {} satisfies Messages;
