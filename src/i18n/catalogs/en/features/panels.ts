import type { ReactNode } from 'react';
import type { Formatters } from '../../../format';
import type { Messages } from '../../../messages';

type Count = { count: number };
const n = (count: number, f: Formatters) => f.number(count);

export const panels = {
  'panels.progressOf': ({ title }: { title: string }) => `Progress of ${title}`,
  'panels.percentOfIds': ({ percent, total }: { percent: number; total: number }, f) =>
    `${percent}% · ${f.number(total)} IDs`,
  'panels.moreIn': ({ count, history }: Count & { history: ReactNode }, f) => [
    `${f.number(count)} more in the `,
    history,
  ],
  'panels.browserNotices': 'Browser notification when a batch ends (while this tab is hidden)',
  'panels.browserRefused':
    "The browser does not allow notifications for this site; the console's own notice still shows.",
  // The end notices: "Associate 3,000 alerts: Done", "2,990 succeeded · 10 failed".
  'panels.endTitle': ({ title, state }: { title: string; state: string }) => `${title}: ${state}`,
  'panels.openBatch': 'Open the batch',
  'panels.openMove': 'Open the move',
  'panels.closeNotice': 'Close notification',
  'panels.succeeded': ({ count }: Count, f) => `${n(count, f)} succeeded`,
  'panels.unchanged': ({ count }: Count, f) => `${n(count, f)} no change`,
  'panels.failed': ({ count }: Count, f) => `${n(count, f)} failed`,
  'panels.unknown': ({ count }: Count, f) => `${n(count, f)} unknown`,
  'panels.invalid': ({ count }: Count, f) => `${n(count, f)} invalid`,
  'panels.skipped': ({ count }: Count, f) => `${n(count, f)} skipped`,
  'panels.moved': ({ count }: Count, f) => `${n(count, f)} moved`,
  'panels.alreadyThere': ({ count }: Count, f) => `${n(count, f)} already at the destination`,
  'panels.keptAtSource': ({ count }: Count, f) => `${n(count, f)} kept at the source`,
  'panels.noIds': 'no IDs',
  'panels.loadingGraph': 'Loading the graph',
  'panels.chooseWorkspaceForObject': 'Choose a workspace in the header to see this object.',
  'panels.notFound': 'Not found',
  'panels.noSuchClass': ({ name }: { name: ReactNode }) => [
    'There is no class "',
    name,
    '": objects are alerts, incidents or indicators.',
  ],
  'panels.noObjectWithId': ({ what, id }: { what: string; id: ReactNode }) => [
    `No ${what} with ID `,
    id,
    ' in this workspace.',
  ],
  'panels.tabLinks': 'Links',
  'panels.tabGraph': 'Graph',
  'panels.shortcutsTitle': 'Keyboard shortcuts',
  'panels.shortcutsKeys': 'Keys',
  'panels.shortcutsAction': 'Action',
  'panels.shortcutsOr': 'or',
  'panels.shortcutSubmit': 'Submit the form you are in (a cancel of links asks first)',
  'panels.shortcutPasteBox': 'Go to “Related IDs” (from anywhere but a text field)',
  'panels.shortcutHelp': 'Show these shortcuts',
  'panels.shortcutClose': 'Close a dialog or a list',
  'panels.shortcutTab': 'Move to the next or previous control',
  'panels.shortcutUndo': 'Undo or redo in “Related IDs” (⌘ on a Mac)',
} satisfies Messages;
