import type { ReactNode } from 'react';
import type { Messages } from '../../../messages';

export const associate = {
  // The form
  'associate.formName': 'Associate form',
  'associate.subjectClass': 'Subject class',
  'associate.relatedClass': 'Related class',
  'associate.chooseSubjectError': 'Choose a subject object',
  'associate.reasonFieldTooLong': 'At most 1000 characters',
  'associate.action': 'Action',
  'associate.destination': 'Destination',
  'associate.destinationCard': ({ singular }: { singular: string }) => `Destination ${singular}`,
  'associate.destinationIsSubject': ({ singular }: { singular: string }) =>
    `The destination is the subject ${singular}: choose another.`,
  'associate.batchNotCreated': 'The batch was not created',
  'associate.moveNotCreated': 'The move was not created',
  'associate.submitAssociateWith': ({
    what,
    singular,
    subject,
  }: {
    what: string;
    singular: string;
    subject: ReactNode;
  }) => [`Associate ${what} with ${singular} `, subject],
  'associate.submitCancelWith': ({
    what,
    singular,
    subject,
  }: {
    what: string;
    singular: string;
    subject: ReactNode;
  }) => [`Cancel association of ${what} with ${singular} `, subject],
  'associate.hintChooseSubject': 'Choose a subject object.',
  'associate.hintDestinationIsSubject': 'The destination is the subject: choose another.',
  'associate.hintChooseDestination': 'Choose the destination.',
  'associate.hintReading': 'Reading the pasted IDs…',
  'associate.hintTooMany': ({ count, max }: { count: number; max: number }) =>
    `Too many entries: ${count} (a batch takes at most ${max}).`,
  'associate.hintPasteOne': 'Paste at least one valid ID.',
  // The link check
  'associate.checkLinks': 'Check against current links',
  'associate.restorePrevious': 'Restore the previous list',
  'associate.checkSummaryName': 'Link check summary',
  'associate.keptNote': 'The list now holds only the IDs the last check said will change.',
  'associate.checkOutdated': 'The list or the subject changed since the last check.',
  'associate.checkFailed': 'The check failed',
  'associate.checkSummary': ({
    linked,
    notLinked,
    notFound,
  }: {
    linked: number;
    notLinked: number;
    notFound: number;
  }) => `${linked} already linked · ${notLinked} not linked yet · ${notFound} not found`,
  'associate.checkRegion': 'Link check',
  'associate.checkedAt': ({
    at,
    linked,
    notLinked,
    notFound,
    action,
  }: {
    at: string;
    linked: number;
    notLinked: number;
    notFound: number;
    action: 'associate' | 'cancel';
  }) =>
    action === 'associate'
      ? `Checked at ${at}: ${linked} already linked, no change, ${notLinked} will be linked, ${notFound} will fail (not found).`
      : `Checked at ${at}: ${linked} will be unlinked, ${notLinked} not linked, no change, ${notFound} will fail (not found).`,
  'associate.keepNotLinked': ({ what }: { what: string }) => `Keep only the ${what} not linked yet`,
  'associate.keepLinked': ({ what }: { what: string }) => `Keep only the ${what} linked now`,
  'associate.alreadyLinked': 'Already linked',
  'associate.notFound': 'Not found',
  // The cancel confirmation
  'associate.confirmTitle': 'Cancel association?',
  'associate.confirmBody': ({
    singular,
    title,
    id,
    what,
    plural,
    workspace,
  }: {
    singular: string;
    title: ReactNode;
    id: ReactNode;
    what: string;
    plural: string;
    workspace: ReactNode;
  }) => [
    `Remove the links between ${singular} `,
    title,
    ' ',
    id,
    ` and ${what} of class ${plural}, in workspace `,
    workspace,
    '.',
  ],
  'associate.confirmNote': ({ summary }: { summary: string }) =>
    `${summary}. Invalid entries are recorded in the batch and not sent to SecMaster.`,
  // The paste box and its summary
  'associate.relatedIds': 'Related IDs',
  'associate.relatedIdsDescription':
    'Paste IDs in any shape: lines, commas, CSV, JSON, console URLs',
  'associate.openingEditor': ({ count }: { count: number }, f) =>
    `Opening the editor for ${f.number(count)} characters…`,
  'associate.pasteSummaryName': 'Paste summary',
  'associate.pasteSummary': ({
    valid,
    duplicates,
    invalid,
    ignored,
  }: {
    valid: number;
    duplicates: number;
    invalid: number;
    ignored: number;
  }) =>
    `${valid} valid · ${duplicates} duplicates · ${invalid} invalid` +
    (ignored > 0 ? ` · ${ignored} ignored` : ''),
  'associate.reading': 'reading…',
  'associate.headerSkipped': 'First line read as a header and skipped: ',
  'associate.skippedWords': ({ count }: { count: number }, f) =>
    `${f.number(count)} word${count === 1 ? '' : 's'} of text`,
  'associate.skippedValues': ({ count }: { count: number }, f) =>
    `${f.number(count)} other JSON value${count === 1 ? '' : 's'}`,
  'associate.skipped': ({ parts }: { parts: string[] }, f) => `${f.list(parts)} skipped`,
  'associate.invalid': 'Invalid',
  'associate.ignored': 'Ignored',
  'associate.readAs': (
    { format, column, rows }: { format: string; column: ReactNode; rows: number },
    f,
  ) => [
    `Read as ${format}: the column “`,
    column,
    `” of ${f.number(rows)} ${rows === 1 ? 'row' : 'rows'}`,
  ],
  'associate.otherColumnsSkipped': '; other columns skipped: ',
  'associate.idColumn': 'ID column',
  'associate.idColumnDescription':
    'Several columns hold IDs: choose the one with the related objects',
  'associate.columnN': ({ n }: { n: number }) => `column ${n}`,
  'associate.sharedColumn': ({ name, n }: { name: ReactNode; n: number }) => [
    name,
    ` (column ${n})`,
  ],
  'associate.lineN': ({ n }: { n: number }) => `line ${n}`,
  // Why a token is invalid or ignored (parse-ids.ts IssueReason)
  'associate.issueNotHexDigit': ({ char }: { char: string }) =>
    `not a UUID: "${char}" is not a hexadecimal digit`,
  'associate.issueUuidGroups': ({ groups }: { groups: string }) =>
    `not a UUID: groups of ${groups} characters (a UUID has 8-4-4-4-12)`,
  'associate.issueShorterThan': ({ min }: { min: number }) => `shorter than ${min} characters`,
  'associate.issueLongerThan': ({ max }: { max: number }) => `longer than ${max} characters`,
  'associate.issueTooLong': 'too long',
  'associate.issueForbiddenCharacter': 'not only letters, digits, "-" and "_"',
  'associate.issueSubjectObject': 'subject object',
  'associate.issueCurrentWorkspace': 'current workspace ID',
  'associate.issueProjectId': 'project ID',
  'associate.issueNotRelated': ({ path }: { path: ReactNode }) => [path, ' (not a related object)'],
  'associate.issueUnreadRow': ({ cells, headerCells }: { cells: number; headerCells: number }) =>
    `${cells} cell${cells === 1 ? '' : 's'}, the header has ${headerCells}; not read`,
  // Token lists
  'associate.copyIds': ({ title }: { title: string }) => `Copy ${title.toLowerCase()} IDs`,
  'associate.copyFailed': 'Could not copy',
  'associate.andMore': ({ count }: { count: number }) => `and ${count} more`,
} satisfies Messages;
