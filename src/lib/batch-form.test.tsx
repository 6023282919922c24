import { fireEvent, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { expect, test, vi } from 'vitest';
import { render } from '../testing/render';
import { batchFormKeys } from './batch-form';

function Form(props: { submit: () => void; paused?: boolean }) {
  return (
    <form
      aria-label="Form"
      onKeyDown={batchFormKeys(props.submit, props.paused ?? false)}
      onSubmit={(e) => {
        e.preventDefault();
        props.submit();
      }}
    >
      <input aria-label="Line" />
      <textarea aria-label="Lines" />
      <button type="submit">Send</button>
    </form>
  );
}

test('Enter in a single-line field never submits; Ctrl+Enter and ⌘+Enter submit once per press', async () => {
  const submit = vi.fn();
  const user = userEvent.setup();
  render(<Form submit={submit} />);
  await user.type(screen.getByRole('textbox', { name: 'Line' }), 'a{Enter}');
  expect(submit).not.toHaveBeenCalled();
  await user.type(screen.getByRole('textbox', { name: 'Lines' }), 'a{Enter}b');
  expect(screen.getByRole('textbox', { name: 'Lines' })).toHaveValue('a\nb');
  expect(submit).not.toHaveBeenCalled();
  await user.keyboard('{Control>}{Enter}{/Control}');
  expect(submit).toHaveBeenCalledTimes(1);
  await user.keyboard('{Meta>}{Enter}{/Meta}');
  expect(submit).toHaveBeenCalledTimes(2);
  fireEvent.keyDown(screen.getByRole('textbox', { name: 'Line' }), {
    key: 'Enter',
    ctrlKey: true,
    repeat: true,
  });
  expect(submit).toHaveBeenCalledTimes(2);
  // The button still submits.
  await user.click(screen.getByRole('button', { name: 'Send' }));
  expect(submit).toHaveBeenCalledTimes(3);
});

test('while paused (a confirmation is open) Ctrl+Enter does nothing', async () => {
  const submit = vi.fn();
  const user = userEvent.setup();
  render(<Form submit={submit} paused />);
  await user.click(screen.getByRole('textbox', { name: 'Line' }));
  await user.keyboard('{Control>}{Enter}{/Control}');
  expect(submit).not.toHaveBeenCalled();
});
