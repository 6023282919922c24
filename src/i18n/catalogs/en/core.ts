/** The English catalog's core part (see ../index.ts). */
import { common } from './core/common';
import { errors } from './core/errors';
import { shell } from './core/shell';
import { auth } from './core/auth';
import { running } from './core/running';
import { find } from './core/find';

export const corePart = {
  ...common,
  ...errors,
  ...shell,
  ...auth,
  ...running,
  ...find,
};
