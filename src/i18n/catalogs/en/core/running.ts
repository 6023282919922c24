import type { Messages } from '../../../messages';

export const running = {} satisfies Messages;
