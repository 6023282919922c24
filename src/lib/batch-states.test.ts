import { expect, test } from 'vitest';
import { batchStates, type BatchState } from '../api/schemas';
import {
  canPauseBatch,
  canResumeBatch,
  isBatchActive,
  isBatchControllable,
  isBatchSettled,
} from './batch-states';

function statesWhere(predicate: (state: BatchState) => boolean): BatchState[] {
  return batchStates.filter(predicate);
}

test('active: running or paused; settled: every other known state', () => {
  expect(statesWhere(isBatchActive)).toEqual(['running', 'paused']);
  expect(statesWhere(isBatchSettled)).toEqual(['done', 'cancelled', 'interrupted']);
  expect(isBatchActive(undefined)).toBe(false);
  expect(isBatchSettled(undefined)).toBe(false);
});

test('a user pauses a running batch, resumes a paused or interrupted one, and controls all three', () => {
  expect(statesWhere(canPauseBatch)).toEqual(['running']);
  expect(statesWhere(canResumeBatch)).toEqual(['paused', 'interrupted']);
  expect(statesWhere(isBatchControllable)).toEqual(['running', 'paused', 'interrupted']);
});
