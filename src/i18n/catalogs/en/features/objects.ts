import type { ReactNode } from 'react';
import type { Messages } from '../../../messages';

/** `plural`/`singular`: the class's name as a sentence uses it ("alerts", "incident"). */
export const objects = {
  // The object's summary (the page's top).
  'objects.showFullId': 'Show the full ID',
  'objects.fieldId': 'ID',
  'objects.fieldSeverity': 'Severity',
  'objects.fieldStatus': 'Status',
  'objects.fieldCreated': 'Created',
  'objects.fieldUpdated': 'Updated',
  'objects.notFound': 'Not found',
  'objects.notFoundText': ({ singular, id }: { singular: string; id: ReactNode }) => [
    `No ${singular} with ID `,
    id,
    ' in this workspace.',
  ],
  'objects.loadError': 'The object could not be loaded',
  // Linked objects of one class.
  'objects.linkedHeading': ({ plural }: { plural: string }) => `Linked ${plural}`,
  'objects.matchingCount': ({ count }: { count: number }, f) => `${f.number(count)} matching`,
  'objects.linkedCount': ({ count }: { count: number }, f) => `${f.number(count)} linked`,
  'objects.selectedCount': ({ count }: { count: number }, f) => ` · ${f.number(count)} selected`,
  'objects.searchLinked': ({ plural }: { plural: string }) => `Search linked ${plural}`,
  'objects.searchByName': 'Name contains… or ID',
  'objects.searchByTitle': 'Title contains… or ID',
  'objects.cancelSelected': ({ count }: { count: number }, f) =>
    `Cancel association of ${f.number(count)} selected`,
  'objects.moveSelected': 'Move selected',
  'objects.linkMore': 'Link more',
  'objects.clearSelection': 'Clear selection',
  'objects.linkedLoadError': ({ plural }: { plural: string }) =>
    `The linked ${plural} could not be loaded`,
  'objects.noMatch': ({ singular, text }: { singular: string; text: string }) =>
    `No linked ${singular} matches "${text}".`,
  'objects.noneLinked': ({ plural, singular }: { plural: string; singular: string }) =>
    `No ${plural} are linked to this ${singular}.`,
  'objects.linkedTable': ({ plural }: { plural: string }) => `Linked ${plural} table`,
  'objects.selectPage': ({ plural }: { plural: string }) => `Select page of linked ${plural}`,
  'objects.linkedPages': ({ plural }: { plural: string }) => `Linked ${plural} pages`,
  // Batches that touched the object.
  'objects.touchingHeading': 'Batches on this object',
  'objects.touchingLatest': ({ limit, total }: { limit: number; total: number }, f) =>
    `latest ${f.number(limit)} of ${f.number(total)}`,
  'objects.allInHistory': 'All in history',
  'objects.loading': 'Loading…',
  'objects.touchingLoadError': 'The batches could not be loaded',
  'objects.touchingNone': 'No batch has touched this object.',
  'objects.touchingTable': 'Batches that touched this object',
  'objects.colBatch': 'Batch',
  'objects.colWhen': 'When',
  'objects.colWhat': 'What',
  'objects.colSubject': 'Subject',
  'objects.colIds': 'IDs',
  'objects.colState': 'State',
  'objects.colWho': 'Who',
} satisfies Messages;
