import type { ReactNode } from 'react';
import type { Messages } from '../../../messages';

export const relations = {
  'relations.title': 'Current associations',
  'relations.linkedTo': ({
    plural,
    singular,
    id,
  }: {
    plural: string;
    singular: string;
    id: ReactNode;
  }) => [`${plural} linked to ${singular} `, id],
  'relations.inTotal': ({ count }: { count: number }, f) => ` · ${f.number(count)} in total`,
  'relations.selectAll': ({ count }: { count: number }, f) => `Select all ${f.number(count)}`,
  'relations.cancelSelected': ({ count }: { count: number }, f) =>
    `Cancel association of ${f.number(count)} selected`,
  'relations.moveSelected': 'Move selected',
  'relations.clearSelection': 'Clear selection',
  'relations.allSelected': ({ count }: { count: number }, f) => `All ${f.number(count)} selected`,
  'relations.selected': ({ count }: { count: number }, f) => `${f.number(count)} selected`,
  'relations.atMostPerBatch': ({ max }: { max: number }, f) =>
    ` (at most ${f.number(max)} per batch)`,
  'relations.selectAllFailed': 'Could not select every linked object',
  'relations.loadFailed': 'The current associations could not be loaded',
  'relations.nothingLinked': ({ singular, plural }: { singular: string; plural: string }) =>
    `Nothing is linked to this ${singular} yet (${plural}).`,
  'relations.tableName': ({ plural }: { plural: string }) => `Linked ${plural}`,
  'relations.selectPage': 'Select page',
  'relations.pages': 'Current associations pages',
} satisfies Messages;
