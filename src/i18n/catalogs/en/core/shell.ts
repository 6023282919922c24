import type { Messages } from '../../../messages';

export const shell = {
  'shell.appTitle': 'SecMaster association console',
  'shell.switchTheme': ({ to }: { to: 'light' | 'dark' }) =>
    to === 'dark' ? 'Switch to dark theme' : 'Switch to light theme',
  'shell.emulator': 'Emulator',
  'shell.secmasterAt': ({ where }: { where: string }) => `SecMaster ${where}`,
  'shell.projectIdTitle': 'Project ID',
  'shell.project': ({ id }: { id: string }) => `project ${id}`,
  'shell.menu': 'Menu',
  'shell.workspace': 'Workspace',
  'shell.loading': 'Loading…',
  'shell.chooseWorkspace': 'Choose a workspace',
  'shell.language': 'Language',
  'shell.mainNav': 'Main',
  'shell.navAssociate': 'Associate',
  'shell.navHistory': 'History',
  'shell.navPairs': 'Pairs',
  'shell.loadingConsole': 'Loading the console',
  'shell.serverUnreachable': 'The console server could not be reached',
  'shell.loadingSignIn': 'Loading the sign-in form',
  'shell.loadingHistory': 'Loading the history',
  'shell.loadingObject': 'Loading the object',
} satisfies Messages;
