/** The Simplified Chinese catalog's core part, typed against the English one. */
import type { Translation } from '../../messages';
import type { corePart as en } from '../en/core';
import { common } from './core/common';
import { errors } from './core/errors';
import { shell } from './core/shell';
import { auth } from './core/auth';
import { running } from './core/running';
import { find } from './core/find';

export const corePart: Translation<typeof en> = {
  ...common,
  ...errors,
  ...shell,
  ...auth,
  ...running,
  ...find,
};
