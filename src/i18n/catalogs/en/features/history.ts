import type { ReactNode } from 'react';
import type { Messages } from '../../../messages';

export const history = {
  'history.title': 'History',
  'history.countFiltered': ({ count }: { count: number }, f) =>
    `${f.number(count)} ${count === 1 ? 'batch matches' : 'batches match'}, newest first`,
  'history.countAll': ({ count }: { count: number }, f) =>
    `${f.number(count)} batches, newest first`,
  'history.filterRegion': 'Filter the history',
  'history.search': 'Search history',
  'history.searchDescription': 'An ID a batch touched, a subject, a user, part of a reason',
  'history.searchPlaceholder': 'ID, subject, user or reason',
  'history.state': 'State',
  'history.anyState': 'Any state',
  'history.user': 'User',
  'history.from': 'From',
  'history.to': 'To',
  'history.clearFilters': 'Clear filters',
  'history.filterTouches': 'Touched',
  'history.filterSubject': 'Subject',
  'history.filterKind': 'Kind',
  'history.removeFilter': ({ label, value }: { label: string; value: string }) =>
    `Remove filter: ${label} ${value}`,
  'history.loadError': 'The history could not be loaded',
  'history.noMatches': 'No batches match these filters',
  'history.empty': 'No batches yet. Batches appear here once you associate or cancel associations.',
  'history.table': 'Batches',
  'history.colBatch': 'Batch',
  'history.colWhen': 'When',
  'history.colWho': 'Who',
  'history.colAction': 'Action',
  'history.colWorkspace': 'Workspace',
  'history.colSubject': 'Subject',
  'history.colRelatedClass': 'Related class',
  'history.colState': 'State',
  'history.colReason': 'Reason',
  'history.pages': 'History pages',
  'history.loading': 'Loading…',
  'history.retryOf': ({ id }: { id: ReactNode }) => ['retry of ', id],
  'history.undoOf': ({ id }: { id: ReactNode }) => ['Undo of ', id],
  'history.notTrackedTitle':
    'Not tracked: this batch ran before the console recorded what each batch changed',
  'history.notTracked': 'not tracked',
} satisfies Messages;
