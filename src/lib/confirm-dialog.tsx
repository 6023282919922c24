import { Alert, Button, Group, Modal, Stack } from '@mantine/core';
import type { ReactNode } from 'react';
import { useT } from '../i18n/i18n';
import { ErrorText } from './error-text';

/**
 * A dialog that asks before something that cannot simply be taken back (a cancel of links, a
 * stop): what will happen (`children`), the error of a failed attempt, and the buttons "Back"
 * (focused first, so Enter never confirms by accident) and the red confirm button. The close
 * button is named "Close"; Escape, a click outside, "Close" and "Back" close it unless the action
 * is under way (closing then would drop the answer of a request already sent: the analyst would
 * not be taken to the batch it created, and confirming again would create a second one).
 */
export function ConfirmDialog({
  opened,
  onClose,
  title,
  confirmLabel,
  onConfirm,
  pending,
  error,
  errorTitle,
  children,
}: {
  opened: boolean;
  onClose: () => void;
  title: string;
  confirmLabel: string;
  onConfirm: () => void;
  pending: boolean;
  /** The last attempt's error, shown under `errorTitle`. */
  error: unknown;
  errorTitle: string;
  children: ReactNode;
}) {
  const t = useT();
  return (
    <Modal
      opened={opened}
      onClose={() => {
        if (!pending) onClose();
      }}
      title={title}
      size="md"
      closeOnEscape={!pending}
      closeOnClickOutside={!pending}
      closeButtonProps={{ 'aria-label': t('common.close'), disabled: pending }}
    >
      <Stack gap="sm">
        {children}
        {error != null && (
          <Alert color="red" p="xs" title={errorTitle}>
            <ErrorText error={error} />
          </Alert>
        )}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" size="sm" data-autofocus onClick={onClose} disabled={pending}>
            {t('common.back')}
          </Button>
          <Button color="red" size="sm" loading={pending} onClick={onConfirm}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
