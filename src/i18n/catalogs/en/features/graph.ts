import type { Messages } from '../../../messages';

export const graph = {} satisfies Messages;
