import type { ReactNode } from 'react';
import type { Messages } from '../../../messages';

type Side = 'subject' | 'related';

/** The pairs form (src/features/pairs): a batch of "subject ID, related ID" pairs. */
export const pairs = {
  'pairs.count': ({ count }: { count: number }, f) =>
    `${f.number(count)} ${count === 1 ? 'pair' : 'pairs'}`,
  'pairs.tooMany': ({ count, max }: { count: number; max: number }, f) =>
    `Too many pairs: ${f.number(count)} (a batch takes at most ${f.number(max)}).`,
  'pairs.tooManySubjects': ({ count, max }: { count: number; max: number }, f) =>
    `Too many subjects: ${f.number(count)} (a batch of pairs takes at most ${f.number(max)}); split the file.`,
  'pairs.empty': 'Paste or choose a file of pairs: subject ID, related ID on each line.',
  'pairs.fileUnreadable': ({ error }: { error: string }) => `The file could not be read: ${error}`,
  'pairs.formName': 'Pairs form',
  'pairs.subjectClass': 'Subject class',
  'pairs.relatedClass': 'Related class',
  'pairs.pairs': 'Pairs',
  'pairs.pairsHint':
    'One pair per line: subject ID, related ID (CSV or TSV; a header row is optional)',
  'pairs.file': 'Pairs file',
  'pairs.fileHint': 'A CSV or TSV file; its content replaces the pairs above',
  'pairs.summaryName': 'Pairs summary',
  'pairs.summary': (
    {
      pairs,
      subjects,
      duplicates,
      invalid,
    }: { pairs: number; subjects: number; duplicates: number; invalid: number },
    f,
  ) =>
    `${f.number(pairs)} pairs · ${f.number(subjects)} subjects · ${f.number(duplicates)} duplicates · ${f.number(invalid)} invalid`,
  /** `names`: the header's cells, as written (data). */
  'pairs.headerSkipped': ({ names }: { names: ReactNode }) => [
    'First line read as a header and skipped: ',
    names,
  ],
  /** The header's names of the two columns read (data). */
  'pairs.headerColumns': ({ subject, related }: { subject: ReactNode; related: ReactNode }) => [
    ' (subject: ',
    subject,
    ', related: ',
    related,
    ')',
  ],
  'pairs.invalidLines': 'Invalid lines',
  'pairs.invalidHeading': 'Invalid lines (not sent)',
  'pairs.line': ({ line }: { line: number }) => `line ${line}: `,
  'pairs.moreInvalid': ({ count }: { count: number }, f) => `and ${f.number(count)} more`,
  // Why a line gives no pair (parse-pairs.ts PairProblem, by its code); `value` is the cell (data).
  'pairs.reasonNoColumns': 'a pair needs a subject ID and a related ID',
  'pairs.reasonCellCount': ({ cells, expected }: { cells: number; expected: number }) =>
    `${cells} cells, the header has ${expected}; not read`,
  'pairs.reasonMissingId': ({ side }: { side: Side }) => `no ${side} ID`,
  'pairs.reasonMalformedId': ({ side, value }: { side: Side; value: ReactNode }) => [
    `${side} ID "`,
    value,
    '" must be 32 to 64 letters, digits, "-" or "_"',
  ],
  /** `uuid`: what is wrong with the UUID, worded by the per-ID messages (src/lib). */
  'pairs.reasonMalformedUuid': ({
    side,
    value,
    uuid,
  }: {
    side: Side;
    value: ReactNode;
    uuid: ReactNode;
  }) => [`${side} ID "`, value, '": ', uuid],
  'pairs.reasonSameObject': 'the subject and the related ID are the same object',
  'pairs.action': 'Action',
  'pairs.notCreated': 'The batch was not created',
  'pairs.confirmTitle': 'Cancel association?',
  /** `what`: the related class in a sentence ("alerts"); `subjects`: the subjects' count ("2 incidents"). */
  'pairs.confirmText': ({
    pairs,
    what,
    subjects,
    workspace,
  }: {
    pairs: string;
    what: string;
    subjects: string;
    workspace: ReactNode;
  }) => [`Remove ${pairs} of links: ${what} from ${subjects}, in workspace `, workspace, '.'],
} satisfies Messages;
