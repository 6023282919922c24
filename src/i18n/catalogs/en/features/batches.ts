import type { ReactNode } from 'react';
import type { Messages } from '../../../messages';

/** "1 ID", "2 IDs". */
const ids = (count: number, n: string) => `${n} ${count === 1 ? 'ID' : 'IDs'}`;
/** "an alert", "a ...": a singular class word with its article. */
const withArticle = (word: string) => `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;

export const batches = {
  // The batch view: header and progress.
  'batches.isMove': 'This is a move',
  'batches.openMove': 'Open the move’s page',
  'batches.progressStale': 'Progress is not updating',
  'batches.credential': 'Credential',
  'batches.credentialServerAksk': 'server AK/SK',
  'batches.credentialServerToken': 'server IAM token',
  'batches.credentialSignIn': ({ user }: { user: ReactNode }) => ['IAM sign-in of ', user],
  'batches.partOf': 'Part of',
  'batches.groupLink': ({ id }: { id: ReactNode }) => ['group ', id],
  'batches.retryMeta': 'Retry',
  'batches.retryOfLink': ({ id }: { id: ReactNode }) => ['retry of ', id],
  'batches.subjectCopyLabel': 'subject',
  /** The heading: "<Associate> Alerts with incident <name>". */
  'batches.heading': ({
    action,
    related,
    subject,
    name,
    associate,
  }: {
    action: ReactNode;
    related: string;
    subject: string;
    name: ReactNode;
    associate: boolean;
  }) => [action, ' ', `${related} ${associate ? 'with' : 'from'} ${subject} `, name],
  /** A batch of pairs: "<Associate> Alerts with 3 subjects <note>". */
  'batches.headingPairs': (
    {
      action,
      related,
      subjects,
      note,
      associate,
    }: {
      action: ReactNode;
      related: string;
      subjects: number;
      note: ReactNode;
      associate: boolean;
    },
    f,
  ) => [
    action,
    ' ',
    `${related} ${associate ? 'with' : 'from'} ${f.number(subjects)} ${subjects === 1 ? 'subject' : 'subjects'} `,
    note,
  ],
  'batches.pairsNote': ({ malformed }: { malformed: number }, f) =>
    `(a batch of pairs${malformed ? `; ${f.number(malformed)} with a malformed subject` : ''})`,
  'batches.stoppedNote': ({ count }: { count: number }, f) =>
    `Stopped before ${f.number(count)} ${count === 1 ? 'ID was' : 'IDs were'} sent (Skipped). “Retry failed” sends them as a new batch; “Copy skipped IDs” copies them.`,
  'batches.progressLabel': 'Batch progress',
  'batches.doneOfTotal': ({ done, total }: { done: number; total: number }, f) =>
    `${f.number(done)} of ${f.number(total)} IDs`,
  'batches.measuringRate': 'Measuring rate…',
  /** `rate` is already written with its decimals ("3.5", "12"). */
  'batches.rate': ({ rate }: { rate: string }) => `${rate} IDs/s`,
  'batches.estimating': 'Estimating time left…',
  'batches.timeLeft': ({ seconds }: { seconds: number }, f) => `About ${f.duration(seconds)} left`,
  'batches.pace': ({ rate, limit }: { rate: string; limit: string | null }) =>
    limit === null
      ? `SecMaster writes, all batches: ${rate} calls/s`
      : `SecMaster writes, all batches: ${rate} of ${limit} calls/s`,

  // Results: counts, filters, table.
  'batches.results': 'Batch results',
  'batches.filterByState': 'Filter by state',
  'batches.countsPerState': 'Counts per state',
  'batches.stateCount': ({ state, count }: { state: string; count: number }, f) =>
    `${state}: ${f.number(count)}`,
  'batches.unrecordedNote': ({ associate }: { associate: boolean }) =>
    `Recorded before the console kept track of what each batch changed: Succeeded may include IDs that were ${associate ? 'already linked' : 'not linked'} before this batch, and No change was not counted.`,
  'batches.itemsLoadFailed': 'The items could not be loaded',
  'batches.noMatching': 'No matching IDs',
  'batches.matchingCount': ({ count }: { count: number }, f) =>
    `${f.number(count)} matching ${count === 1 ? 'ID' : 'IDs'}`,
  'batches.idCount': ({ count }: { count: number }, f) => ids(count, f.number(count)),
  'batches.tableLabel': 'Batch items',
  'batches.colSubject': 'Subject',
  'batches.colId': 'ID',
  'batches.colTitle': 'Title',
  'batches.colState': 'State',
  'batches.colCode': 'Code',
  'batches.colMessage': 'Message',
  'batches.colRequestId': 'Request ID',
  'batches.colAttempts': 'Attempts',
  'batches.loading': 'Loading…',
  'batches.noneMatchFilter': 'No IDs match this filter.',
  'batches.noTitle': 'No title: not found in this workspace',
  'batches.copyIdOf': ({ id }: { id: string }) => `Copy ID ${id}`,
  'batches.copy': 'Copy',
  'batches.copied': 'Copied',
  'batches.copyFailed': 'Copy failed',

  // Result actions.
  'batches.resultActions': 'Result actions',
  'batches.copiedIds': ({ count }: { count: number }, f) => `Copied ${ids(count, f.number(count))}`,
  'batches.retryFailed': 'Retry failed',
  'batches.retryOfMoveTitle': ({ move }: { move: string }) =>
    `This batch is one phase of move ${move}: move the kept IDs again instead`,
  'batches.finishFirst': 'Stop the batch or let it finish first',
  'batches.retryInterruptedTitle': 'This batch was interrupted: resume it instead (Resume batch)',
  'batches.nothingToRetryTitle': 'No ID failed, is unknown or was skipped: nothing to retry',
  'batches.copyFailedIds': 'Copy failed IDs',
  'batches.copySkippedIds': 'Copy skipped IDs',
  'batches.exportCsv': 'Export CSV',
  'batches.exportJson': 'Export JSON',
  'batches.undoBatch': 'Undo batch',
  'batches.undoOfMoveTitle': ({ move }: { move: string }) =>
    `This batch is one phase of move ${move}: undo the move instead`,
  'batches.alreadyUndoneTitle': ({ by }: { by: string }) =>
    `Already undone by batch ${by}: a batch is undone once`,
  'batches.nothingToUndoTitle': 'No ID succeeded: nothing to undo',
  'batches.phaseOfMove': ({ link }: { link: ReactNode }) => [
    'This batch is one phase of ',
    link,
    ': it is not retried or undone on its own. Undo the move, or move the kept IDs again.',
  ],
  'batches.moveLink': ({ id }: { id: ReactNode }) => ['move ', id],
  'batches.actionFailed': 'The action failed',

  // Controls.
  'batches.controls': 'Batch controls',
  'batches.pause': 'Pause batch',
  'batches.resume': 'Resume batch',
  'batches.stop': 'Stop batch',
  'batches.controlFailed': 'The batch could not be changed',
  'batches.stopTitle': 'Stop this batch?',
  'batches.confirmStop': 'Confirm stop',
  'batches.stopFailed': 'The batch could not be stopped',
  'batches.stopBody': ({ unsent }: { unsent: number }, f) =>
    `${unsent > 0 ? `${f.number(unsent)} IDs not sent yet will be marked Skipped.` : 'No ID is waiting to be sent.'} Calls already sent finish and their outcomes are recorded. A stopped batch cannot be resumed: “Retry failed” then sends its skipped IDs (with its failed and unknown ones) as a new batch.`,

  // Dialogs about one batch.
  'batches.close': 'Close',
  /** "Associate alerts with incident <title> in <workspace>" (`subject` is "incident" or "3 incidents"). */
  'batches.subjectLine': ({
    associate,
    related,
    subject,
    object,
    workspace,
  }: {
    associate: boolean;
    related: string;
    subject: string;
    object: ReactNode;
    workspace: ReactNode;
  }) => [
    `${associate ? 'Associate' : 'Cancel association of'} ${related} ${associate ? 'with' : 'from'} ${subject} `,
    object,
    ' in ',
    workspace,
  ],
  'batches.subjectsCount': ({ count, plural }: { count: number; plural: string }) =>
    `${count} ${plural}`,
  'batches.back': 'Back',

  // Retry dialog.
  'batches.retryTitle': 'Retry failed IDs',
  'batches.retryReading': 'Reading what is left to retry…',
  'batches.retryPreviewFailed': 'What the retry would include could not be read',
  'batches.retryIncludes': ({ count }: { count: number }, f) =>
    `The retry includes ${ids(count, f.number(count))}`,
  'batches.includedList': 'Included in the retry',
  'batches.retryFailedItem': ({ count, related }: { count: number; related: string }, f) =>
    `${f.number(count)} failed for another reason than not found or not ${withArticle(related)} (they may pass on a retry)`,
  'batches.retryUnknownItem': ({ count }: { count: number }, f) =>
    `${f.number(count)} unknown: the outcome was never confirmed`,
  'batches.retrySkippedItem': ({ count }: { count: number }, f) =>
    `${f.number(count)} skipped: stopped before they were sent`,
  'batches.retryPermanentItem': ({ count }: { count: number }, f) =>
    `${f.number(count)} permanent ${count === 1 ? 'failure' : 'failures'}, as asked`,
  'batches.leavesOut': ({ count }: { count: number }, f) =>
    `It leaves out ${ids(count, f.number(count))}`,
  'batches.leavesOutNothing': 'It leaves out nothing',
  'batches.leavesOutNothingNoPermanent': 'It leaves out nothing: no permanent failure',
  'batches.leftOutList': 'Left out of the retry',
  'batches.permanentLeftOut': ({ count, related }: { count: number; related: string }, f) =>
    `${f.number(count)} permanent ${count === 1 ? 'failure' : 'failures'}: not found in this workspace, or not ${withArticle(related)}. A retry fails again unless the object was created or corrected since.`,
  'batches.reReadingLeftOut': ({ count }: { count: number }, f) =>
    `${f.number(count)} unknown: still being re-read since the batch was stopped. Retry again once they are settled.`,
  'batches.includePermanent': 'Include permanent failures',
  'batches.retryExplain': ({ associate }: { associate: boolean }) =>
    `A new batch on the same workspace and subject, keeping this batch's reason. Before each call the console reads which IDs are already ${associate ? 'linked' : 'not linked'}: those are recorded as No change and not sent. This batch stays in the History as it is.`,
  'batches.nothingToRetryStatus': ({ permanent }: { permanent: boolean }) =>
    `Nothing to retry${permanent ? ' unless permanent failures are included' : ''}.`,
  'batches.nothingToRetry': 'Nothing to retry',
  'batches.retryCreateFailed': 'The retry batch could not be created',
  'batches.retry': 'Retry',
  'batches.retryCount': ({ count }: { count: number }, f) => `Retry ${ids(count, f.number(count))}`,

  // Undo dialog.
  'batches.undoTitle': 'Undo this batch?',
  'batches.checkingLinks': 'Checking the current links…',
  'batches.willBeReverted': ({ count, associate }: { count: number; associate: boolean }, f) =>
    `${ids(count, f.number(count))} will be ${associate ? 'cancelled' : 'associated'}`,
  'batches.unchangedKept': ({ count, associate }: { count: number; associate: boolean }, f) =>
    `${f.number(count)} ${count === 1 ? 'ID was' : 'IDs were'} ${associate ? 'already linked' : 'not linked'} before this batch (No change): the undo leaves ${count === 1 ? 'it' : 'them'} as ${count === 1 ? 'it is' : 'they are'}.`,
  'batches.predatesTitle': 'This batch predates change tracking',
  'batches.predatesBody': ({ count, associate }: { count: number; associate: boolean }, f) =>
    `This batch was recorded before the console kept track of what each batch changed: its ${f.number(count)} succeeded ${count === 1 ? 'ID' : 'IDs'} ${
      associate
        ? 'may include links that existed before it, and the undo would remove those too.'
        : 'may include IDs that were not linked before it, and the undo would link those too.'
    }`,
  'batches.understand': 'I understand',
  'batches.undoExplain':
    'A new batch makes the inverse call with exactly the IDs this batch changed (Succeeded), on the same workspace and subject. This batch stays in the History as it is.',
  'batches.linksCheckFailed': 'The current links could not be checked',
  'batches.changedSince': ({ count }: { count: number }, f) =>
    `${f.number(count)} ${count === 1 ? 'ID has' : 'IDs have'} changed since this batch`,
  'batches.changedRemoved':
    'These links were removed since: the undo finds them already unlinked and records them as No change, without sending them:',
  'batches.changedRelinked':
    'These links were made again since: the undo finds them already linked and records them as No change, without sending them:',
  'batches.changedIds': 'Changed IDs',
  'batches.andMore': ({ count }: { count: number }, f) => `and ${f.number(count)} more`,
  'batches.checkedAt': ({ at }: { at: string }, f) => `Checked ${f.dateTime(at)}`,
  'batches.confirmUndoNeeded': 'The server needs you to confirm this undo',
  'batches.undoCreateFailed': 'The undo batch could not be created',
  'batches.confirmUndo': 'Confirm undo',
} satisfies Messages;
