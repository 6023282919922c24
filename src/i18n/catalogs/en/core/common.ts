/**
 * Words every part of the console shares: item and batch states, data classes, the two actions,
 * and the small words of dialogs (Copy, Close, Cancel). Features take them through src/lib/words.ts.
 */
import type { ReactNode } from 'react';
import type { Formatters } from '../../../format';
import type { Messages } from '../../../messages';

type Count = { count: number };

const many = (n: number, one: string, more: string, f: Formatters) =>
  `${f.number(n)} ${n === 1 ? one : more}`;

export const common = {
  // Item states (the words of itemStateLabels, src/api/schemas.ts).
  'common.itemPending': 'Pending',
  'common.itemInFlight': 'Sending',
  'common.itemSucceeded': 'Succeeded',
  'common.itemUnchanged': 'No change',
  'common.itemFailed': 'Failed',
  'common.itemUnknown': 'Unknown',
  'common.itemInvalid': 'Invalid',
  'common.itemSkipped': 'Skipped',
  // Batch states (batchStateLabels): a stopped batch reads "Stopped", never "Cancelled".
  'common.batchRunning': 'Running',
  'common.batchPaused': 'Paused',
  'common.batchDone': 'Done',
  'common.batchCancelled': 'Stopped',
  'common.batchInterrupted': 'Interrupted',
  // Data classes: the plural as a label ("Alerts"), in a sentence ("alerts"), the singular, a count.
  'common.alertsLabel': 'Alerts',
  'common.incidentsLabel': 'Incidents',
  'common.indicatorsLabel': 'Indicators',
  'common.alertsWord': 'alerts',
  'common.incidentsWord': 'incidents',
  'common.indicatorsWord': 'indicators',
  'common.alertWord': 'alert',
  'common.incidentWord': 'incident',
  'common.indicatorWord': 'indicator',
  'common.alertCount': ({ count }: Count, f) => many(count, 'alert', 'alerts', f),
  'common.incidentCount': ({ count }: Count, f) => many(count, 'incident', 'incidents', f),
  'common.indicatorCount': ({ count }: Count, f) => many(count, 'indicator', 'indicators', f),
  // Actions and what a batch of them is called.
  'common.actionAssociate': 'Associate',
  'common.actionCancel': 'Cancel association',
  'common.actionMove': 'Move',
  /** "Associate 3,000 alerts" (`what` is a count of a class, e.g. common.alertCount). */
  'common.associateTitle': ({ what }: { what: string }) => `Associate ${what}`,
  'common.cancelTitle': ({ what }: { what: string }) => `Cancel association of ${what}`,
  'common.moveTitle': ({ what }: { what: string }) => `Move ${what}`,
  // Counts of IDs: "1 ID", "2 IDs" (the number as is, as the console always wrote it).
  'common.idCount': ({ count }: Count) => `${count} ${count === 1 ? 'ID' : 'IDs'}`,
  // Small words of dialogs and buttons.
  'common.copy': 'Copy',
  'common.copied': 'Copied',
  'common.close': 'Close',
  'common.cancel': 'Cancel',
  'common.back': 'Back',
  'common.loading': 'Loading…',
  'common.copyFailed': 'Copy failed',
  /** A label before its value: "Workspace: ". */
  'common.labelled': ({ label }: { label: string }) => `${label}: `,

  // --- A batch's or a move's page (src/lib/run-view.tsx) ----------------------------------------
  'common.runBatch': 'Batch',
  'common.runMove': 'Move',
  'common.loadingRun': ({ noun }: { noun: 'batch' | 'move' }) => `Loading ${noun}…`,
  'common.runNotFound': ({ noun }: { noun: 'batch' | 'move' }) =>
    noun === 'batch' ? 'Batch not found' : 'Move not found',
  'common.runNotFoundText': ({ noun, id }: { noun: 'batch' | 'move'; id: ReactNode }) => [
    `No ${noun} has the ID `,
    id,
    `. Check the link, or find the ${noun} in the History.`,
  ],
  'common.runNotLoaded': ({ noun }: { noun: 'batch' | 'move' }) =>
    `The ${noun} could not be loaded`,
  'common.progressStale': 'Progress is not updating',
  'common.factWorkspace': 'Workspace',
  'common.factCreated': 'Created',
  'common.factFinished': 'Finished',
  'common.factBy': 'By',
  'common.factIds': 'IDs',
  'common.duplicatesDropped': ({ count }: Count, f) => ` (${f.number(count)} duplicates dropped)`,
  'common.factUndo': 'Undo',
  'common.undoOf': ({ id }: { id: ReactNode }) => ['Undo of ', id],
  'common.factUndone': 'Undone',
  'common.undoneBy': ({ id }: { id: ReactNode }) => ['Undone by ', id],
  'common.reason': 'Reason',
  'common.stoppedBySystem': 'Stopped by the system',
  'common.noReason': 'No reason was recorded.',
  'common.filterAll': 'All',
  'common.searchIds': 'Search IDs',
  'common.searchIdsPlaceholder': 'Whole or part of an ID',

  // --- Lists of runs (src/lib/run-rows.tsx) -------------------------------------------------------
  'common.runPairs': ({ what }: { what: string }) => `${what} (pairs)`,
  'common.openBatch': ({ id }: { id: string }) => `Open batch ${id}`,
  'common.openPairs': ({ id }: { id: string }) => `Open batch of pairs ${id}`,
  'common.openMove': ({ id }: { id: string }) => `Open move ${id}`,

  // --- Confirmations (confirm-dialog, confirm-cancel-modal, batch-form) ---------------------------
  'common.cancelQuestion': 'Cancel association?',
  'common.confirmCancel': 'Confirm cancel association',
  'common.cancelNotCreated': 'The cancel batch could not be created',
  'common.cancelText': (
    p: {
      count: number;
      related: string;
      subjectClass: string;
      subject: ReactNode;
      workspace: ReactNode;
    },
    f,
  ) => [
    `This unlinks ${f.number(p.count)} ${p.related} from ${p.subjectClass} `,
    p.subject,
    ' in workspace ',
    p.workspace,
    ". The batch and every ID's outcome are recorded in the History.",
  ],
  'common.toUnlink': ({ related }: { related: string }) => `${related} to unlink`,
  'common.cancelReason': 'Reason for cancelling',
  'common.cancelReasonHint': 'Optional; kept with the batch',
  'common.reasonHint': 'Optional; kept with the batch in the history',

  // --- Lists of IDs (selection-list) ------------------------------------------------------------
  'common.listCount': ({ label, count }: { label: string; count: number }, f) =>
    `${label} (${f.number(count)})`,
  'common.copyIds': 'Copy IDs',
  'common.andMore': ({ more, all }: { more: number; all: number }, f) =>
    `and ${f.number(more)} more (“Copy IDs” copies all ${f.number(all)})`,
  'common.copiedSentence': 'Copied.',
  'common.copyRefused': 'The browser refused to copy. Select the text and copy it by hand.',

  // --- Objects (linked-table, object-names, object-picker) ---------------------------------------
  'common.colTitle': 'Title',
  'common.colNameValue': 'Name / value',
  'common.colId': 'ID',
  'common.colSeverity': 'Severity',
  'common.colStatus': 'Status',
  'common.selectRow': ({ id }: { id: string }) => `Select ${id}`,
  'common.pageControl': ({ control }: { control: 'first' | 'previous' | 'next' | 'last' }) =>
    `${control[0]?.toUpperCase()}${control.slice(1)} page`,
  'common.pageN': ({ n }: { n: number }) => `Page ${n}`,
  'common.copyIdOf': ({ what }: { what: string }) => `Copy ${what} ID`,
  'common.copyThis': ({ id }: { id: string }) => `Copy ${id}`,
  /** The copy button of a workspace's ID: "Copy workspace ID". */
  'common.workspaceWord': 'workspace',
  'common.subjectObject': 'Subject object',
  'common.chosen': ({ what }: { what: string }) => `Chosen ${what}`,
  'common.pickerHint': ({ what }: { what: string }) => `Search ${what} titles, or paste an ID`,
  'common.pickerPlaceholder': 'Title contains… or ID',
  'common.searching': 'Searching…',
  'common.noMatches': ({ what }: { what: string }) => `No ${what} matches`,
  'common.noSuchObject': ({ what }: { what: string }) =>
    `No ${what} with this ID in this workspace.`,
  // SecMaster's severities (in Chinese, its own console's words).
  'common.severityTips': 'Tips',
  'common.severityLow': 'Low',
  'common.severityMedium': 'Medium',
  'common.severityHigh': 'High',
  'common.severityFatal': 'Fatal',
  // SecMaster's statuses: an alert's or incident's handle_status (Open, Block, Closed), an
  // indicator's status (Open, Closed, Revoked).
  'common.statusOpen': 'Open',
  'common.statusBlock': 'Block',
  'common.statusClosed': 'Closed',
  'common.statusRevoked': 'Revoked',
} satisfies Messages;
