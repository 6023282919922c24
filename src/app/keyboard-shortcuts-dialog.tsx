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
    action: 'panels.shortcutSubmit',
  },
  { keys: [['/']], action: 'panels.shortcutPasteBox' },
  { keys: [['?']], action: 'panels.shortcutHelp' },
  { keys: [['Esc']], action: 'panels.shortcutClose' },
  { keys: [['Tab'], ['Shift', 'Tab']], action: 'panels.shortcutTab' },
  {
    keys: [
      ['Ctrl', 'Z'],
      ['Ctrl', 'Y'],
    ],
    action: 'panels.shortcutUndo',
  },
];

export default function KeyboardShortcutsDialog(props: { opened: boolean; onClose: () => void }) {
  const t = useT();
  return (
    <Modal
      opened={props.opened}
      onClose={props.onClose}
      title={t('panels.shortcutsTitle')}
      size="lg"
    >
      <Table aria-label={t('panels.shortcutsTitle')} verticalSpacing={6}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">{t('panels.shortcutsKeys')}</Table.Th>
            <Table.Th scope="col">{t('panels.shortcutsAction')}</Table.Th>
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
                        {t('panels.shortcutsOr')}{' '}
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
