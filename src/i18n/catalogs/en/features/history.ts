import type { Messages } from '../../../messages';

export const history = {} satisfies Messages;
