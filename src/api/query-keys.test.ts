import { matchQuery, QueryClient } from '@tanstack/react-query';
import { expect, test } from 'vitest';
import { batchKeys, batchQueries } from './console-queries';
import { isRelationsKey, secmasterKeys, secmasterQueries } from './secmaster-queries';

const BATCH = '7a43d707-821a-4759-86ff-4398ed7b0c04';
const page = { state: undefined, q: undefined, offset: 0, limit: 50 };

/** Whether invalidating `prefix` reaches the query of `queryKey`. */
function reaches(prefix: readonly unknown[], queryKey: readonly unknown[]): boolean {
  const client = new QueryClient();
  const query = client.getQueryCache().build(client, { queryKey });
  return matchQuery({ queryKey: prefix }, query);
}

test('a batch key prefix reaches exactly the queries below it', () => {
  const listPage = batchQueries.list(50, 50).queryKey;
  const rows = batchQueries.items(BATCH, page).queryKey;
  expect(reaches(batchKeys.lists(), listPage)).toBe(true);
  expect(reaches(batchKeys.lists(), batchQueries.detail(BATCH).queryKey)).toBe(false);
  expect(reaches(batchKeys.items(BATCH), rows)).toBe(true);
  expect(reaches(batchKeys.items('another'), rows)).toBe(false);
  for (const key of [listPage, rows, batchQueries.undoPreview(BATCH).queryKey]) {
    expect(reaches(batchKeys.all, key)).toBe(true);
  }
});

test('the relations of any subject are told apart from the other SecMaster reads', () => {
  const body = { limit: 50, offset: 0 };
  const relations = secmasterQueries.relations('p', 'w', 'incidents', 'o', 'alerts', body);
  expect(isRelationsKey(relations.queryKey)).toBe(true);
  expect(reaches(secmasterKeys.relationsOf('p', 'w', 'incidents', 'o'), relations.queryKey)).toBe(
    true,
  );
  expect(isRelationsKey(secmasterQueries.object('p', 'w', 'alerts', 'relations').queryKey)).toBe(
    false,
  );
  expect(isRelationsKey(secmasterQueries.search('p', 'w', 'alerts', body).queryKey)).toBe(false);
  expect(isRelationsKey(secmasterQueries.workspaces('p').queryKey)).toBe(false);
});
