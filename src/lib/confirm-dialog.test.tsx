import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { expect, test, vi } from 'vitest';
import { ApiError } from '../api/client';
import { render } from '../testing/render';
import { ConfirmDialog } from './confirm-dialog';
import { SELECTION_LIST_LIMIT, SelectionList } from './selection-list';
import { noSelection, toggleRows } from './linked-table';

function renderDialog(props: { pending?: boolean; error?: unknown } = {}) {
  const onClose = vi.fn();
  const onConfirm = vi.fn();
  render(
    <ConfirmDialog
      opened
      onClose={onClose}
      title="Stop this batch?"
      confirmLabel="Confirm stop"
      onConfirm={onConfirm}
      pending={props.pending ?? false}
      error={props.error ?? null}
      errorTitle="The batch could not be stopped"
    >
      <p>What happens</p>
    </ConfirmDialog>,
  );
  return { onClose, onConfirm, dialog: screen.getByRole('dialog', { name: 'Stop this batch?' }) };
}

test('a confirmation focuses "Back" first, names its close button, and confirms only on its button', async () => {
  const { onClose, onConfirm, dialog } = renderDialog();
  expect(within(dialog).getByText('What happens')).toBeInTheDocument();
  // Mantine moves focus into the dialog once it has opened.
  await waitFor(() => expect(within(dialog).getByRole('button', { name: 'Back' })).toHaveFocus());
  expect(within(dialog).getByRole('button', { name: 'Close' })).toBeInTheDocument();
  await userEvent.keyboard('{Escape}');
  expect(onClose).toHaveBeenCalledTimes(1);
  await userEvent.click(within(dialog).getByRole('button', { name: 'Confirm stop' }));
  expect(onConfirm).toHaveBeenCalledTimes(1);
  expect(within(dialog).queryByRole('alert')).toBeNull();
});

test('a failed attempt is shown under its title; nothing closes it while the action is under way', async () => {
  const { dialog, onClose } = renderDialog({
    pending: true,
    error: new ApiError({
      status: 409,
      code: 'conflict',
      message: 'The batch has already finished.',
    }),
  });
  expect(within(dialog).getByText('The batch could not be stopped')).toBeInTheDocument();
  expect(within(dialog).getByText(/already finished/)).toBeInTheDocument();
  expect(within(dialog).getByRole('button', { name: 'Back' })).toBeDisabled();
  expect(within(dialog).getByRole('button', { name: 'Close' })).toBeDisabled();
  await userEvent.keyboard('{Escape}');
  expect(onClose).not.toHaveBeenCalled();
});

test('the selection list shows every ID with its known title, and says how many are not listed', () => {
  const ids = Array.from({ length: SELECTION_LIST_LIMIT + 7 }, (_, i) => `id-${i}`);
  render(
    <SelectionList
      label="Incidents to unlink"
      ids={ids}
      titles={new Map([['id-1', 'Case one']])}
    />,
  );
  const list = screen.getByRole('list', { name: 'Incidents to unlink' });
  const items = within(list).getAllByRole('listitem');
  expect(items).toHaveLength(SELECTION_LIST_LIMIT);
  expect(items[0]).toHaveTextContent(/^id-0$/);
  expect(items[1]).toHaveTextContent('id-1 · Case one');
  expect(list).toHaveAttribute('tabindex', '0');
  expect(screen.getByText(`Incidents to unlink (${SELECTION_LIST_LIMIT + 7})`)).toBeInTheDocument();
  expect(screen.getByText(/and 7 more/)).toBeInTheDocument();
});

test('"Copy IDs" copies the whole selection, not only the listed part', async () => {
  const writeText = vi.fn(() => Promise.resolve());
  Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
  const ids = Array.from({ length: SELECTION_LIST_LIMIT + 1 }, (_, i) => `id-${i}`);
  render(<SelectionList label="Alerts to move" ids={ids} />);
  await userEvent.click(screen.getByRole('button', { name: 'Copy IDs' }));
  expect(writeText).toHaveBeenCalledWith(ids.join('\n'));
  expect(await screen.findByText('Copied.')).toBeInTheDocument();
});

test('toggleRows adds rows with their titles in the order chosen, and removes them', () => {
  const row = (id: string, title: string) => ({ id, data_object: { id, title } });
  const one = toggleRows(noSelection, [row('b', 'B title'), row('a', 'A title')], true);
  expect([...one]).toEqual([
    ['b', 'B title'],
    ['a', 'A title'],
  ]);
  expect([...toggleRows(one, [row('b', 'B title')], false)]).toEqual([['a', 'A title']]);
  expect(noSelection.size).toBe(0);
});
