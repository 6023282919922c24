import { expect, test } from 'vitest';
import { pagesForRange, RESULTS_PAGE_SIZE } from './item-pages';

test('the rows in view map to the pages that hold them', () => {
  expect(RESULTS_PAGE_SIZE).toBe(200);
  expect(pagesForRange(0, 24)).toEqual([0]);
  expect(pagesForRange(190, 215)).toEqual([0, 1]);
  expect(pagesForRange(99_980, 99_999)).toEqual([499]);
  expect(pagesForRange(400, 599)).toEqual([2]);
});

test('an empty or unmeasured range asks for page 0 only', () => {
  expect(pagesForRange(0, -1)).toEqual([0]);
  expect(pagesForRange(5, 4)).toEqual([0]);
});
