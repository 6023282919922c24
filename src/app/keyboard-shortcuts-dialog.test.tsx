import { screen, within } from '@testing-library/react';
import { expect, test } from 'vitest';
import { englishWordsIn, inChinese } from '../testing/i18n';
import { render } from '../testing/render';
import KeyboardShortcutsDialog, { SHORTCUTS } from './keyboard-shortcuts-dialog';

test('the dialog lists every shortcut with its keys and what it does', async () => {
  render(<KeyboardShortcutsDialog opened onClose={() => undefined} />);
  const dialog = await screen.findByRole('dialog', { name: 'Keyboard shortcuts' });
  const table = within(dialog).getByRole('table', { name: 'Keyboard shortcuts' });
  expect(within(table).getAllByRole('row')).toHaveLength(SHORTCUTS.length + 1);
  expect(within(table).getByRole('columnheader', { name: 'Keys' })).toBeVisible();
  expect(table).toHaveTextContent('Go to “Related IDs” (from anywhere but a text field)');
  expect(table).toHaveTextContent('Ctrl + Enter or ⌘ + Enter');
});

test('in Chinese, the descriptions are translated and the key names stay', async () => {
  inChinese();
  render(<KeyboardShortcutsDialog opened onClose={() => undefined} />);
  const dialog = await screen.findByRole('dialog', { name: '键盘快捷键' });
  const table = within(dialog).getByRole('table', { name: '键盘快捷键' });
  expect(within(table).getByRole('columnheader', { name: '按键' })).toBeVisible();
  expect(within(table).getByRole('columnheader', { name: '操作' })).toBeVisible();
  expect(table).toHaveTextContent('转到“关联对象 ID”（焦点不在文本框中时）');
  // Key names are the keys' own: Ctrl, Enter, /, ?, Esc, Shift, Tab.
  expect(table).toHaveTextContent('Ctrl + Enter 或 ⌘ + Enter');
  for (const key of ['/', '?', 'Esc', 'Shift', 'Tab']) {
    expect(within(table).getAllByText(key, { selector: 'kbd' }).length).toBeGreaterThan(0);
  }
  expect(englishWordsIn()).toEqual([]);
});
