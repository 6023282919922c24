/** The dialog "Keyboard shortcuts" (a lazy chunk: it loads when "?" is first pressed). */
import { Kbd, Modal, Table, Text } from '@mantine/core';
import { useT, type MessageKey } from '../i18n/i18n';

/** Every shortcut of the console, as listed in the dialog (key names stay as the keys say). */
export const SHORTCUTS: readonly { keys: readonly (readonly string[])[]; action: MessageKey }[] = [
  {
    keys: [
      ['Ctrl', 'Enter'],
      ['⌘', 'Enter'],
    ],
    action: 'shell.shortcutSubmit',
  },
  { keys: [['/']], action: 'shell.shortcutPasteBox' },
  { keys: [['?']], action: 'shell.shortcutHelp' },
  { keys: [['Esc']], action: 'shell.shortcutClose' },
  { keys: [['Tab'], ['Shift', 'Tab']], action: 'shell.shortcutTab' },
  {
    keys: [
      ['Ctrl', 'Z'],
      ['Ctrl', 'Y'],
    ],
    action: 'shell.shortcutUndo',
  },
];

export default function KeyboardShortcutsDialog(props: { opened: boolean; onClose: () => void }) {
  const t = useT();
  return (
    <Modal
      opened={props.opened}
      onClose={props.onClose}
      title={t('shell.shortcutsTitle')}
      size="lg"
    >
      <Table aria-label={t('shell.shortcutsTitle')} verticalSpacing={6}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">{t('shell.shortcutsKeys')}</Table.Th>
            <Table.Th scope="col">{t('shell.shortcutsAction')}</Table.Th>
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
                        {t('shell.shortcutsOr')}{' '}
                      </Text>
                    ) : null}
                    {combo.map((key, j) => (
                      <span key={key}>
                        {j > 0 ? ' + ' : null}
                        <Kbd size="sm" translate="no">
                          {key}
                        </Kbd>
                      </span>
                    ))}
                  </span>
                ))}
              </Table.Td>
              <Table.Td>
                <Text size="sm">{t(s.action)}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Modal>
  );
}
