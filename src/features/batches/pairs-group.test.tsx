/** A batch of pairs (kind `pairs`) and a move on the batch page. */
import { screen, waitFor, within } from '@testing-library/react';
import { expect, test, vi } from 'vitest';
import type { BatchItem } from '../../api/schemas';
import { batchSummary, itemCounts } from '../../testing/fixtures';
import { serveBatch } from '../../testing/msw';
import { render } from '../../testing/render';
import { BatchView } from './batch-view';

const GROUP = '0b5f6f4e-2d6b-4f0e-9a51-6f1c2a9e8d10';
const I1 = 'incident00000000000000000000000001';
const I2 = 'incident00000000000000000000000002';

function item(id: string, subject: string): BatchItem {
  return {
    id,
    state: 'succeeded',
    code: null,
    message: null,
    request_id: null,
    attempts: 1,
    data_object_id: subject,
    batch_id: `child-of-${subject}`,
  };
}

test('a batch of pairs says how many subjects it has and shows each row’s subject', async () => {
  const A = `alert${'0'.repeat(26)}1`;
  const B = `alert${'0'.repeat(26)}2`;
  serveBatch(
    batchSummary({
      id: GROUP,
      kind: 'pairs',
      data_object_id: '',
      subjects: 2,
      total: 2,
      counts: itemCounts({ succeeded: 2 }),
    }),
    [item(A, I1), item(B, I2)],
  );
  render(<BatchView batchId={GROUP} onBatchCreated={vi.fn()} />);
  expect(await screen.findByText(/Alerts with 2 subjects/)).toBeInTheDocument();
  const table = screen.getByRole('table', { name: 'Batch items' });
  expect(within(table).getByRole('columnheader', { name: 'Subject' })).toBeInTheDocument();
  await waitFor(() => expect(within(table).getByText(B)).toBeInTheDocument());
  const row = within(table).getByText(B).closest('tr') as HTMLElement;
  expect(row).toHaveTextContent(I2);
});

test('an ordinary batch has no Subject column', async () => {
  serveBatch(batchSummary({ id: GROUP, total: 0, counts: itemCounts() }), []);
  render(<BatchView batchId={GROUP} onBatchCreated={vi.fn()} />);
  const table = await screen.findByRole('table', { name: 'Batch items' });
  expect(within(table).queryByRole('columnheader', { name: 'Subject' })).not.toBeInTheDocument();
});

test('a move opened as a batch links to its own page', async () => {
  serveBatch(batchSummary({ id: GROUP, kind: 'move' }), []);
  render(<BatchView batchId={GROUP} onBatchCreated={vi.fn()} />);
  expect(await screen.findByRole('link', { name: 'Open the move’s page' })).toHaveAttribute(
    'href',
    `/moves/${GROUP}`,
  );
});
