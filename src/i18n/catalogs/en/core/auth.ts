import type { ReactNode } from 'react';
import type { Messages } from '../../../messages';

export const auth = {
  'auth.signIn': 'Sign in',
  'auth.intro': 'This console acts on SecMaster for you. Sign in to continue.',
  'auth.noMethodTitle': 'No way to sign in',
  'auth.noMethod':
    'The console server requires a sign-in but offers no sign-in method. Ask whoever runs it to check its configuration.',
  'auth.methodAccessToken': 'Access token',
  'auth.methodIam': 'IAM user',
  'auth.panelAccessToken': 'Sign in with the token',
  'auth.panelIam': 'Sign in as an IAM user',
  'auth.showCharacters': 'Show the characters typed',
  'auth.accessToken': 'Access token',
  'auth.accessTokenHelp': "The console's access token, from whoever runs this console.",
  'auth.account': 'Account',
  'auth.accountHelp': 'The Huawei Cloud account (domain) the IAM user belongs to.',
  'auth.userName': 'User name',
  'auth.password': 'Password',
  'auth.region': 'Region',
  // A region code (data) is a parameter, so that the Chinese text can mark it untranslated.
  'auth.regionHelp': ({ example }: { example: string }): ReactNode =>
    `Where the account's SecMaster lives, e.g. ${example}.`,
  'auth.enterToken': 'Enter the access token',
  'auth.enterUser': 'Enter your IAM user name',
  'auth.enterPassword': 'Enter your password',
  'auth.enterAccount': 'Enter the account name',
  'auth.atMost64': 'At most 64 characters',
  'auth.regionFormat': ({ example }: { example: string }): ReactNode =>
    `A region looks like ${example}`,
  'auth.failed': 'Sign-in failed',
  'auth.tooManyAttempts': 'Too many sign-in attempts. Wait a minute, then try again.',
  'auth.signedInAs': 'Signed in as',
  'auth.signOut': 'Sign out',
  'auth.signOutFailed': ({ reason }: { reason: ReactNode }) => ['Sign-out failed: ', reason],
  'auth.endingSoonTitle': 'Session ending soon',
  'auth.endingSoon': ({ time }: { time: string }) =>
    `Your SecMaster session ends at ${time} — sign in again to keep batches running`,
} satisfies Messages;
