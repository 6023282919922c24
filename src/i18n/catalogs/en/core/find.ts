import type { ReactNode } from 'react';
import type { Messages } from '../../../messages';

export const find = {
  'find.label': 'Find an object',
  'find.placeholder': 'Find an object (ID or title)',
  'find.searching': 'Searching',
  'find.searchingNow': 'Searching…',
  'find.objectsFound': 'Objects found',
  'find.noSuchId': 'No alert, incident or indicator has this ID',
  // `text` is what the analyst typed (data: shown untranslated).
  'find.nothingMatches': ({ text }: { text: ReactNode }) => ['Nothing matches "', text, '"'],
  'find.foundCount': ({ count }: { count: number }) =>
    `${count} object${count === 1 ? '' : 's'} found`,
  'find.classFailed': ({ what, reason }: { what: string; reason: ReactNode }) => [
    `${what} could not be searched: `,
    reason,
  ],
} satisfies Messages;
