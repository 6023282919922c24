/**
 * What the two batch forms (the associate form and the pairs form) share: the class choices, the
 * form's keys (Enter in a single-line field never starts a batch; Ctrl+Enter or ⌘+Enter submits
 * through the same rules as the button, once per press), the submit button with its hint, the
 * "Reason" field, the creation error, and the cancel confirmation's buttons.
 */
import { Alert, Button, Group, Stack, Text, TextInput, type TextInputProps } from '@mantine/core';
import type { KeyboardEvent, ReactNode, Ref } from 'react';
import { dataclassTypes } from '../api/schemas';
import { useT } from '../i18n/i18n';
import { ErrorText } from './error-text';
import { dataclassLabel } from './words';

/**
 * The options of a "Subject class" / "Related class" select. Each label is read when the select
 * renders (a getter), so it follows the console's language.
 */
export const classOptions: readonly { value: (typeof dataclassTypes)[number]; label: string }[] =
  dataclassTypes.map((value) => ({
    value,
    get label() {
      return dataclassLabel(value);
    },
  }));

/** Inputs on which Enter is a click, not an implicit submission. */
const BUTTON_INPUTS = new Set(['button', 'submit', 'reset', 'image']);

/**
 * The form's onKeyDown: the browser's implicit submission (Enter in an input of a form with a
 * submit button) is stopped at the key, so the button itself still submits; Ctrl+Enter (⌘+Enter)
 * anywhere in the form calls `submit`. Keys from a dialog (a portal, reaching the form through
 * React's tree) and while `paused` (a confirmation is open) do nothing.
 */
export function batchFormKeys(submit: () => void, paused: boolean) {
  return (event: KeyboardEvent<HTMLFormElement>) => {
    if (event.key !== 'Enter' || event.nativeEvent.isComposing || event.defaultPrevented) return;
    if (paused || !event.currentTarget.contains(event.target as Node)) return;
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      // A held key repeats: one batch per press.
      if (!event.repeat) submit();
    } else if (event.target instanceof HTMLInputElement && !BUTTON_INPUTS.has(event.target.type)) {
      event.preventDefault();
    }
  };
}

/** The optional reason kept with the batch. */
export function ReasonInput(props: TextInputProps & { ref?: Ref<HTMLInputElement> }) {
  const t = useT();
  return (
    <TextInput
      label={t('common.reason')}
      description={t('common.reasonHint')}
      size="sm"
      {...props}
    />
  );
}

/** The error of a creation that failed ("The batch was not created"), or nothing. */
export function CreateError({ error, title }: { error: unknown; title: string }) {
  if (!error) return null;
  return (
    <Alert color="red" variant="light" title={title}>
      <ErrorText error={error} />
    </Alert>
  );
}

/** The submit button (red for a cancel) and, when it cannot submit yet, the hint saying why. */
export function SubmitWithHint({
  hintId,
  hint,
  cancel,
  disabled,
  loading,
  buttonRef,
  children,
  wrap = false,
}: {
  hintId: string;
  hint: string | null;
  cancel: boolean;
  disabled: boolean;
  loading: boolean;
  buttonRef?: Ref<HTMLButtonElement>;
  children: ReactNode;
  /** Long labels wrap instead of being cut. */
  wrap?: boolean;
}) {
  return (
    <Stack gap={4}>
      <Button
        ref={buttonRef}
        type="submit"
        size="sm"
        color={cancel ? 'red' : undefined}
        disabled={disabled}
        loading={loading}
        aria-describedby={hint ? hintId : undefined}
        aria-keyshortcuts="Control+Enter Meta+Enter"
        {...(wrap
          ? {
              styles: { label: { whiteSpace: 'normal', textAlign: 'left' } },
              h: 'auto',
              mih: 36,
              py: 6,
            }
          : {})}
      >
        {children}
      </Button>
      {hint ? (
        <Text id={hintId} size="xs" c="dimmed">
          {hint}
        </Text>
      ) : null}
    </Stack>
  );
}

/** "Back" (focused when the dialog opens) and "Confirm cancel association". */
export function ConfirmCancelButtons(props: {
  onBack: () => void;
  onConfirm: () => void;
  loading: boolean;
}) {
  const t = useT();
  return (
    <Group justify="flex-end" gap="sm">
      <Button variant="default" size="sm" data-autofocus onClick={props.onBack}>
        {t('common.back')}
      </Button>
      <Button color="red" size="sm" loading={props.loading} onClick={props.onConfirm}>
        {t('common.confirmCancel')}
      </Button>
    </Group>
  );
}
