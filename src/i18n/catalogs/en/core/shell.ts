import type { ReactNode } from 'react';
import type { Messages } from '../../../messages';

export const shell = {
  'shell.appTitle': 'SecMaster association console',
  'shell.switchTheme': ({ to }: { to: 'light' | 'dark' }) =>
    to === 'dark' ? 'Switch to dark theme' : 'Switch to light theme',
  'shell.emulator': 'Emulator',
  'shell.secmasterAt': ({ where }: { where: string }) => `SecMaster ${where}`,
  'shell.projectIdTitle': 'Project ID',
  /** `id`: the project's ID (data, shown untranslated). */
  'shell.project': ({ id }: { id: ReactNode }) => ['project ', id],
  'shell.menu': 'Menu',
  'shell.workspace': 'Workspace',
  'shell.loading': 'Loading…',
  'shell.chooseWorkspace': 'Choose a workspace',
  'shell.language': 'Language',
  'shell.languageFailed': 'The language could not be loaded. Try again.',
  'shell.mainNav': 'Main',
  'shell.navAssociate': 'Associate',
  'shell.navHistory': 'History',
  'shell.navPairs': 'Pairs',
  'shell.loadingConsole': 'Loading the console',
  'shell.serverUnreachable': 'The console server could not be reached',
  'shell.loadingSignIn': 'Loading the sign-in form',
  'shell.loadingHistory': 'Loading the history',
  'shell.loadingObject': 'Loading the object',
  'shell.loadingWorkspaces': 'Loading the workspaces',
  'shell.loadingForm': 'Loading the form',
  'shell.loadingBatch': 'Loading the batch',
  'shell.loadingMove': 'Loading the move',
  'shell.loadingAssociations': 'Loading current associations',
  'shell.noWorkspace': 'No workspace',
  'shell.chooseWorkspaceToStart': 'Choose a workspace in the header to start.',
  'shell.formTitle': 'Link or unlink objects',
  'shell.batchRegion': 'Batch',
  'shell.noBatchYet':
    'Submit the form to start a batch. Its progress and a per-ID result appear here, and every batch keeps a URL you can paste into a ticket.',
  'shell.pairsTitle': 'Link or unlink pairs',
  'shell.pairsIntro':
    "Each line names a subject and one object to link with it (or unlink from it): one batch for many subjects. Its page shows every pair's outcome.",
  'shell.errorTitle': 'The console hit an unexpected error',
  'shell.errorKept': 'Your form content is kept; reloading the page usually recovers.',
  'shell.reload': 'Reload',
} satisfies Messages;
