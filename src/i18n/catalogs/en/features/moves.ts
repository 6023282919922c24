import type { ReactNode } from 'react';
import type { Messages } from '../../../messages';

/** The move dialog and a move's page (src/features/moves). */
export const moves = {
  // The dialog
  'moves.dialogTitle': 'Move to another subject',
  'moves.settingsUnreadable': 'The console settings could not be read',
  'moves.loading': 'Loading…',
  'moves.formName': 'Move',
  /** `what`: the IDs counted in their class ("2 alerts"); `subject`: the subject class's singular. */
  'moves.intro': ({
    what,
    subject,
    source,
  }: {
    what: string;
    subject: string;
    source: ReactNode;
  }) => [
    `Move ${what} from ${subject} `,
    source,
    ` to another ${subject}. Each ID is linked with the destination first, and removed from the source only once it is linked there: an ID is never left linked to neither.`,
  ],
  /** `what`: the related class's plural, capitalized ("Alerts"). */
  'moves.toMove': ({ what }: { what: string }) => `${what} to move`,
  'moves.destination': 'Destination',
  'moves.destinationCard': ({ subject }: { subject: string }) => `Destination ${subject}`,
  'moves.sameAsSource': ({ subject }: { subject: string }) =>
    `The destination is the source ${subject}: choose another.`,
  'moves.reason': 'Reason',
  'moves.reasonHint': 'Optional; kept with the move in the history',
  'moves.notCreated': 'The move was not created',
  'moves.confirm': 'Confirm move',

  // A move's page
  'moves.notUpdating': 'Progress is not updating',
  /** `what`: the related class's plural ("alerts"). */
  'moves.heading': ({ what }: { what: string }) => `Move ${what}`,
  'moves.stop': 'Stop move',
  'moves.fromTo': ({
    subject,
    source,
    destination,
  }: {
    subject: string;
    source: ReactNode;
    destination: ReactNode;
  }) => [`From ${subject} `, source, ` to ${subject} `, destination],
  'moves.batches': 'Batches',
  'moves.linkBatch': 'Link batch (to the destination)',
  'moves.linkNotStarted': 'link batch not started',
  'moves.unlinkBatch': 'Unlink batch (from the source)',
  'moves.unlinkNotStarted': 'unlink batch not started yet',
  'moves.notStopped': 'The move could not be stopped',
  'moves.progress': 'Move progress',
  'moves.phaseLink': 'Linking the IDs with the destination',
  'moves.phaseUnlink': 'Removing the IDs from the source',
  'moves.settled': (
    { settled, total, phase }: { settled: number; total: number; phase: string },
    f,
  ) => `${f.number(settled)} of ${f.number(total)} IDs settled · ${phase}`,
  'moves.results': 'Move results',
  'moves.exportCsv': 'Export CSV',
  'moves.undo': 'Undo move',
  'moves.undoneAlready': 'This move was undone already',
  'moves.countsPerResult': 'Counts per result',
  'moves.filterByResult': 'Filter by result',
  'moves.resultsNotLoaded': 'The results could not be loaded',
  'moves.noMatchingIds': 'No matching IDs',
  'moves.range': ({ from, to, total }: { from: number; to: number; total: number }, f) =>
    `${f.number(from)}–${f.number(to)} of ${f.number(total)} ${total === 1 ? 'ID' : 'IDs'}`,
  'moves.previousPage': 'Previous page',
  'moves.nextPage': 'Next page',
  'moves.itemsScrollable': 'Move items, scrollable',
  'moves.items': 'Move items',
  'moves.columnId': 'ID',
  'moves.columnResult': 'Result',
  'moves.columnReason': 'Reason',
  'moves.columnLink': 'Link',
  'moves.columnUnlink': 'Unlink',
  'moves.noIdsMatch': 'No IDs match this filter.',
  // What became of an ID (by the result's code)
  'moves.resultPending': 'Pending',
  'moves.resultMoved': 'Moved',
  'moves.resultAlreadyAtDestination': 'Already at destination',
  'moves.resultKeptAtSource': 'Kept at source',
  'moves.resultInvalid': 'Invalid',

  // The undo's confirmation
  'moves.undoTitle': 'Undo this move?',
  /** `subject`: the class's singular ("incident"); `count`: IDs moved or found at the destination. */
  'moves.undoText': ({ subject, count }: { subject: string; count: number }, f) =>
    `A new move puts back what this one changed: the IDs it removed from the source ${subject} are linked with it again, and the links it made with the destination are removed (${f.number(count)} ${count === 1 ? 'ID' : 'IDs'} moved or found at the destination). Links that were there before this move stay as they are.`,
  'moves.undoNotCreated': 'The undo could not be created',
  'moves.back': 'Back',
  'moves.confirmUndo': 'Confirm undo move',
} satisfies Messages;
