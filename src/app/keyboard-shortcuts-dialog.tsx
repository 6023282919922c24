/** The dialog "Keyboard shortcuts" (a lazy chunk: it loads when "?" is first pressed). */
import { Kbd, Modal, Table, Text } from '@mantine/core';

/** Every shortcut of the console, as listed in the dialog. */
export const SHORTCUTS: readonly { keys: readonly (readonly string[])[]; action: string }[] = [
  {
    keys: [
      ['Ctrl', 'Enter'],
      ['⌘', 'Enter'],
    ],
    action: 'Submit the form you are in (a cancel of links asks first)',
  },
  { keys: [['/']], action: 'Go to “Related IDs” (from anywhere but a text field)' },
  { keys: [['?']], action: 'Show these shortcuts' },
  { keys: [['Esc']], action: 'Close a dialog or a list' },
  { keys: [['Tab'], ['Shift', 'Tab']], action: 'Move to the next or previous control' },
  {
    keys: [
      ['Ctrl', 'Z'],
      ['Ctrl', 'Y'],
    ],
    action: 'Undo or redo in “Related IDs” (⌘ on a Mac)',
  },
];

export default function KeyboardShortcutsDialog(props: { opened: boolean; onClose: () => void }) {
  return (
    <Modal opened={props.opened} onClose={props.onClose} title="Keyboard shortcuts" size="lg">
      <Table aria-label="Keyboard shortcuts" verticalSpacing={6}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Keys</Table.Th>
            <Table.Th scope="col">Action</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {SHORTCUTS.map((s) => (
            <Table.Tr key={s.action}>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                {s.keys.map((combo, i) => (
                  <span key={combo.join('+')}>
                    {i > 0 ? (
                      <Text span size="sm">
                        {' '}
                        or{' '}
                      </Text>
                    ) : null}
                    {combo.map((key, j) => (
                      <span key={key}>
                        {j > 0 ? ' + ' : null}
                        <Kbd size="sm">{key}</Kbd>
                      </span>
                    ))}
                  </span>
                ))}
              </Table.Td>
              <Table.Td>
                <Text size="sm">{s.action}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Modal>
  );
}
