import { expect, test } from 'vitest';
import { SearchError, compileSearch, parseSecmasterTime, searchBodySchema } from './search';

test.each([
  ['2023-02-20T00:00:00.000Z', '2023-02-20T00:00:00.000Z'],
  ['2023-04-18T13:00:00.000Z+0800', '2023-04-18T05:00:00.000Z'],
  ['2024-08-15T19:18:38Z+0800', '2024-08-15T11:18:38.000Z'],
  ['2024-08-15T19:18:38+08:00', '2024-08-15T11:18:38.000Z'],
  ['2024-08-15T19:18:38.123456Z', '2024-08-15T19:18:38.123Z'],
  ['2024-08-15T19:18-0130', '2024-08-15T20:48:00.000Z'],
  ['2024-08-15', '2024-08-15T00:00:00.000Z'],
])('parseSecmasterTime(%s) → %s', (input, expected) => {
  expect(parseSecmasterTime(input)).toBe(expected);
});

test.each(['', 'yesterday', '2024-13-45T00:00:00Z', '2024-08-15T19:18:38Z+08'])(
  'parseSecmasterTime(%s) → null',
  (input) => {
    expect(parseSecmasterTime(input)).toBeNull();
  },
);

test('defaults: limit 10, offset 0, newest first; no filter', () => {
  expect(compileSearch(searchBodySchema.parse({}))).toEqual({
    where: '1',
    params: [],
    orderBy: 'o.create_time DESC, o.id DESC',
    limit: 10,
    offset: 0,
  });
});

test('field names are bound, never spliced into SQL', () => {
  const q = compileSearch(
    searchBodySchema.parse({
      condition: {
        conditions: [{ name: 'a', data: ['alert_type.alert_type', 'contains', 'scan'] }],
      },
      order: 'asc',
      sort_by: 'update_time',
    }),
  );
  expect(q.where).toBe("((json_extract(o.data, ?) LIKE ? ESCAPE '\\'))");
  expect(q.params).toEqual(['$.alert_type.alert_type', '%scan%']);
  expect(q.orderBy).toBe('o.update_time ASC, o.id ASC');
  expect(() =>
    compileSearch(
      searchBodySchema.parse({
        condition: { conditions: [{ name: 'a', data: ['a b', '=', '1'] }] },
      }),
    ),
  ).toThrow(SearchError);
});

test('"and" binds tighter than "or"; an empty "in" matches nothing', () => {
  const q = compileSearch(
    searchBodySchema.parse({
      condition: {
        conditions: [
          { name: 'a', data: ['severity', '=', 'Low'] },
          { name: 'b', data: ['status', 'in', ' , '] },
          { name: 'c', data: ['title', '!=', 'x'] },
        ],
        logics: ['a', 'or', 'b', 'AND', 'c'],
      },
    }),
  );
  expect(q.where).toBe('((o.severity = ?) OR (0) AND (o.title IS NOT ?))');
  expect(q.params).toEqual(['Low', 'x']);
});

test('contains matches the text as typed: its %, _ and \\ are not wildcards', () => {
  const q = compileSearch(
    searchBodySchema.parse({
      condition: { conditions: [{ name: 't', data: ['title', 'contains', '50%_off\\x'] }] },
    }),
  );
  expect(q.where).toBe("((o.title LIKE ? ESCAPE '\\'))");
  expect(q.params).toEqual(['%50\\%\\_off\\\\x%']);
});
