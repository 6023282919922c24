import type { ReactNode } from 'react';
import type { Messages } from '../../../messages';

export const auth = {
  'auth.signedInAs': 'Signed in as',
  'auth.signOut': 'Sign out',
  'auth.signOutFailed': ({ reason }: { reason: ReactNode }) => ['Sign-out failed: ', reason],
  'auth.endingSoonTitle': 'Session ending soon',
  'auth.endingSoon': ({ time }: { time: string }) =>
    `Your SecMaster session ends at ${time} — sign in again to keep batches running`,
} satisfies Messages;
