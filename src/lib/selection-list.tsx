import { Box, Button, Group, Text } from '@mantine/core';
import { useState } from 'react';
import { describeError } from '../api/client';
import { useT } from '../i18n/i18n';
import { copyText } from './clipboard';

/** IDs listed one by one; a larger selection lists these and says how many more (all are copyable). */
export const SELECTION_LIST_LIMIT = 500;

/**
 * What exactly a confirmation acts on: every selected ID (with its title where the table showed
 * it), in a scrollable list named `label`, whatever page or search it was selected on. The whole
 * list can be copied.
 */
export function SelectionList({
  label,
  ids,
  titles,
}: {
  /** The list's accessible name, e.g. "Incidents to unlink". */
  label: string;
  ids: readonly string[];
  /** Titles by ID, where known. */
  titles?: ReadonlyMap<string, string> | undefined;
}) {
  const t = useT();
  const [copy, setCopy] = useState<{ done: boolean; error: string | null }>({
    done: false,
    error: null,
  });
  const shown = ids.slice(0, SELECTION_LIST_LIMIT);
  const more = ids.length - shown.length;
  return (
    <Box>
      <Group justify="space-between" gap="xs" mb={4}>
        <Text size="xs" fw={600}>
          {t('common.listCount', { label, count: ids.length })}
        </Text>
        <Button
          size="compact-xs"
          variant="subtle"
          onClick={() => {
            copyText(ids.join('\n')).then(
              () => setCopy({ done: true, error: null }),
              (err: unknown) => setCopy({ done: false, error: describeError(err) }),
            );
          }}
        >
          {t('common.copyIds')}
        </Button>
      </Group>
      {/* Focusable, so the keyboard can scroll it. */}
      <Box
        component="ul"
        aria-label={label}
        tabIndex={0}
        m={0}
        p={0}
        mah={180}
        style={{ listStyle: 'none', overflowY: 'auto' }}
        bd="1px solid var(--mantine-color-default-border)"
      >
        {shown.map((id) => {
          const title = titles?.get(id);
          return (
            <Text component="li" key={id} size="xs" px="xs" py={2}>
              <Text span ff="monospace" size="xs" translate="no">
                {id}
              </Text>
              {title ? (
                <>
                  {' · '}
                  <span translate="no">{title}</span>
                </>
              ) : (
                ''
              )}
            </Text>
          );
        })}
      </Box>
      {more > 0 && (
        <Text size="xs" c="dimmed">
          {t('common.andMore', { more, all: ids.length })}
        </Text>
      )}
      <Text size="xs" c={copy.error ? 'red' : 'dimmed'} role="status">
        {copy.error ?? (copy.done ? t('common.copiedSentence') : '')}
      </Text>
    </Box>
  );
}
