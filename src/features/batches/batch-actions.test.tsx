import { screen, within } from '@testing-library/react';
import { expect, test } from 'vitest';
import { batchSummary } from '../../testing/fixtures';
import { serveBatch } from '../../testing/msw';
import { render } from '../../testing/render';
import { BatchView } from './batch-view';

const BATCH_ID = '0b5f6f4e-2d6b-4f0e-9a51-6f1c2a9e8d10';
const GROUP_ID = 'a1b2c3d4-2d6b-4f0e-9a51-6f1c2a9e8d10';

/** The batch page of a finished batch (2 failed, 3 succeeded) in a group of `groupKind`. */
async function renderChildOf(groupKind: 'move' | 'pairs') {
  serveBatch(batchSummary({ id: BATCH_ID, group_id: GROUP_ID, group_kind: groupKind }), []);
  render(<BatchView batchId={BATCH_ID} onBatchCreated={() => {}} />);
  return within(await screen.findByRole('group', { name: 'Result actions' }));
}

test("a move's batch offers no retry or undo of its own: each says why, and the move is a link away", async () => {
  const actions = await renderChildOf('move');
  const retry = actions.getByRole('button', { name: 'Retry failed' });
  const undo = actions.getByRole('button', { name: 'Undo batch' });
  expect(retry).toBeDisabled();
  expect(retry).toHaveAttribute(
    'title',
    'This batch is one phase of move a1b2c3d4: move the kept IDs again instead',
  );
  expect(undo).toBeDisabled();
  expect(undo).toHaveAttribute(
    'title',
    'This batch is one phase of move a1b2c3d4: undo the move instead',
  );
  expect(screen.getByRole('link', { name: 'move a1b2c3d4' })).toHaveAttribute(
    'href',
    `/moves/${GROUP_ID}`,
  );
  // What the batch's own results allow stays: copies and exports.
  expect(actions.getByRole('button', { name: 'Copy failed IDs' })).toBeEnabled();
});

test("a pairs group's batch is retried and undone on its own", async () => {
  const actions = await renderChildOf('pairs');
  expect(actions.getByRole('button', { name: 'Retry failed' })).toBeEnabled();
  expect(actions.getByRole('button', { name: 'Undo batch' })).toBeEnabled();
  expect(screen.queryByText(/one phase of/)).not.toBeInTheDocument();
});
