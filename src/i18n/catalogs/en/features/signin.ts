import type { ReactNode } from 'react';
import type { Messages } from '../../../messages';

export const signin = {
  'signin.signIn': 'Sign in',
  'signin.intro': 'This console acts on SecMaster for you. Sign in to continue.',
  'signin.noMethodTitle': 'No way to sign in',
  'signin.noMethod':
    'The console server requires a sign-in but offers no sign-in method. Ask whoever runs it to check its configuration.',
  'signin.methodAccessToken': 'Access token',
  'signin.methodIam': 'IAM user',
  'signin.panelAccessToken': 'Sign in with the token',
  'signin.panelIam': 'Sign in as an IAM user',
  'signin.showCharacters': 'Show the characters typed',
  'signin.accessToken': 'Access token',
  'signin.accessTokenHelp': "The console's access token, from whoever runs this console.",
  'signin.account': 'Account',
  'signin.accountHelp': 'The Huawei Cloud account (domain) the IAM user belongs to.',
  'signin.userName': 'User name',
  'signin.password': 'Password',
  'signin.region': 'Region',
  // A region code (data) is a parameter, so that the Chinese text can mark it untranslated.
  'signin.regionHelp': ({ example }: { example: string }): ReactNode =>
    `Where the account's SecMaster lives, e.g. ${example}.`,
  'signin.enterToken': 'Enter the access token',
  'signin.enterUser': 'Enter your IAM user name',
  'signin.enterPassword': 'Enter your password',
  'signin.enterAccount': 'Enter the account name',
  'signin.atMost64': 'At most 64 characters',
  'signin.regionFormat': ({ example }: { example: string }): ReactNode =>
    `A region looks like ${example}`,
  'signin.failed': 'Sign-in failed',
  'signin.tooManyAttempts': 'Too many sign-in attempts. Wait a minute, then try again.',
} satisfies Messages;
