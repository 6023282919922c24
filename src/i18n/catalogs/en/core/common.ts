/**
 * Words every part of the console shares: item and batch states, data classes, the two actions,
 * and the small words of dialogs (Copy, Close, Cancel). Features take them through src/lib/words.ts.
 */
import type { Messages } from '../../../messages';
import type { Formatters } from '../../../format';

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
} satisfies Messages;
