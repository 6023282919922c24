import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { expect, test, vi } from 'vitest';
import { render } from '../../testing/render';
import { LARGE_TEXT_CHARS, PasteBox } from './paste-box';

// jsdom has no layout: CodeMirror measures text through Range rects.
Range.prototype.getClientRects = () =>
  Object.assign([], { item: () => null }) as unknown as DOMRectList;
Range.prototype.getBoundingClientRect = () => new DOMRect();

const ID = '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';

function Harness(props: { initial?: string; onText: (text: string) => void }) {
  const [text, setText] = useState(props.initial ?? '');
  return (
    <>
      <PasteBox
        label="Related IDs"
        description="Paste IDs"
        name="relatedIds"
        value={text}
        onChange={(next) => {
          setText(next);
          props.onText(next);
        }}
      />
      <button type="button" onClick={() => setText('short')}>
        Set short
      </button>
    </>
  );
}

test('a small paste goes into the textarea', async () => {
  const onText = vi.fn();
  const user = userEvent.setup();
  render(<Harness onText={onText} />);
  const box = screen.getByRole('textbox', { name: 'Related IDs' });
  await user.click(box);
  await user.paste(`${ID}\n${ID}`);
  expect(box).toHaveValue(`${ID}\n${ID}`);
  expect(box.tagName).toBe('TEXTAREA');
});

test('a large paste never lands in the textarea: the editor opens with the whole text, named and focused', async () => {
  const onText = vi.fn();
  const user = userEvent.setup();
  render(<Harness onText={onText} />);
  const textarea = screen.getByRole('textbox', { name: 'Related IDs' });
  await user.click(textarea);
  await user.keyboard('first');
  const large = Array.from({ length: Math.ceil(LARGE_TEXT_CHARS / ID.length) + 10 }, () => ID);
  const pasted = `\n${large.join('\n')}`;
  await user.paste(pasted);
  // The form got the text at once, with the paste after what was typed.
  expect(onText).toHaveBeenLastCalledWith(`first${pasted}`);
  const editor = await screen.findByRole('textbox', { name: 'Related IDs' }, { timeout: 10_000 });
  await waitFor(() => expect(editor.tagName).toBe('DIV'));
  expect(editor).toHaveAttribute('contenteditable', 'true');
  expect(editor).toHaveAccessibleDescription('Paste IDs');
  expect(textarea).not.toBeInTheDocument();
  await waitFor(() => expect(editor).toHaveFocus());
});

test('a large value set from outside opens the editor, and a small one brings the textarea back', async () => {
  const big = `${ID}\n`.repeat(Math.ceil(LARGE_TEXT_CHARS / ID.length) + 10);
  const user = userEvent.setup();
  render(<Harness initial={big} onText={vi.fn()} />);
  const editor = await screen.findByRole('textbox', { name: 'Related IDs' });
  await waitFor(() =>
    expect(screen.getByRole('textbox', { name: 'Related IDs' })).toHaveAttribute(
      'contenteditable',
      'true',
    ),
  );
  expect(editor).not.toHaveFocus();
  await user.click(screen.getByRole('button', { name: 'Set short' }));
  const box = screen.getByRole('textbox', { name: 'Related IDs' });
  expect(box.tagName).toBe('TEXTAREA');
  expect(box).toHaveValue('short');
});

test('a click on the label focuses the large-paste editor', async () => {
  const big = `${ID}\n`.repeat(Math.ceil(LARGE_TEXT_CHARS / ID.length) + 10);
  const user = userEvent.setup();
  render(<Harness initial={big} onText={vi.fn()} />);
  await waitFor(() =>
    expect(screen.getByRole('textbox', { name: 'Related IDs' })).toHaveAttribute(
      'contenteditable',
      'true',
    ),
  );
  const editor = screen.getByRole('textbox', { name: 'Related IDs' });
  expect(editor).not.toHaveFocus();
  await user.click(screen.getByText('Related IDs'));
  expect(editor).toHaveFocus();
});

test('Ctrl+Z right after a large paste undoes it: the textarea is back with the text before', async () => {
  const onText = vi.fn();
  const user = userEvent.setup();
  render(<Harness onText={onText} />);
  const textarea = screen.getByRole('textbox', { name: 'Related IDs' });
  await user.click(textarea);
  await user.keyboard('first');
  const large = Array.from({ length: Math.ceil(LARGE_TEXT_CHARS / ID.length) + 10 }, () => ID);
  await user.paste(`\n${large.join('\n')}`);
  await waitFor(() =>
    expect(screen.getByRole('textbox', { name: 'Related IDs' })).toHaveAttribute(
      'contenteditable',
      'true',
    ),
  );
  const editor = screen.getByRole('textbox', { name: 'Related IDs' });
  await waitFor(() => expect(editor).toHaveFocus());
  await user.keyboard('{Control>}z{/Control}');
  const box = await screen.findByRole('textbox', { name: 'Related IDs' });
  await waitFor(() => expect(box.tagName).toBe('TEXTAREA'));
  expect(box).toHaveValue('first');
  expect(onText).toHaveBeenLastCalledWith('first');
  await waitFor(() => expect(box).toHaveFocus());
  expect((box as HTMLTextAreaElement).selectionStart).toBe(5);
});
