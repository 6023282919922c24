/**
 * A titled list of pasted tokens (the first 50, "and N more"), each with an optional reason,
 * and optionally a button copying all of them. Used for the paste's invalid and ignored entries
 * and for the link check's groups.
 */
import { Box, Button, Group, ScrollArea, Text } from '@mantine/core';
import { useState } from 'react';
import { useT } from '../../i18n/i18n';
import { copyText } from '../../lib/clipboard';
import { shorten } from '../../lib/text';
import type { IssueReason } from './parse-ids';
import { issueText } from './parse-words';

const LISTED = 50;

export interface ListedToken {
  token: string;
  /** Why it is listed (worded at render). */
  reason?: IssueReason;
  /** A table row not read: shown as "line N" instead of the token. */
  line?: number;
}

export function TokenList({
  title,
  items,
  color,
  copyable = false,
}: {
  title: string;
  items: readonly ListedToken[];
  color: string;
  /** A "Copy" button (named "Copy <title> IDs") copying every token, one per line. */
  copyable?: boolean;
}) {
  const t = useT();
  const [copied, setCopied] = useState<'done' | 'failed' | null>(null);
  if (items.length === 0) return null;
  const shown = items.slice(0, LISTED);
  return (
    <Box>
      <Group gap="xs">
        <Text size="xs" fw={500}>
          {title} ({items.length})
        </Text>
        {copyable ? (
          <>
            <Button
              variant="subtle"
              size="compact-xs"
              aria-label={t('associate.copyIds', { title })}
              onClick={() => {
                copyText(items.map((i) => i.token).join('\n')).then(
                  () => setCopied('done'),
                  () => setCopied('failed'),
                );
              }}
            >
              {t('common.copy')}
            </Button>
            <Text size="xs" c="dimmed" role="status">
              {copied === 'done'
                ? t('common.copied')
                : copied === 'failed'
                  ? t('associate.copyFailed')
                  : ''}
            </Text>
          </>
        ) : null}
      </Group>
      <ScrollArea.Autosize mah={140} type="auto">
        <Box component="ul" m={0} p={0} style={{ listStyle: 'none' }} aria-label={title}>
          {shown.map((item, i) => (
            <Box component="li" key={`${i}:${item.token}`} fz="xs">
              <Text
                span
                ff="monospace"
                fz="xs"
                c={color}
                bg={`var(--mantine-color-${color}-light)`}
                px={4}
                style={{ wordBreak: 'break-all' }}
                translate={item.line === undefined ? 'no' : undefined}
              >
                {item.line === undefined
                  ? shorten(item.token, 80)
                  : t('associate.lineN', { n: item.line })}
              </Text>
              {item.reason ? (
                <>
                  {' '}
                  <Text span fz="xs" c="dimmed">
                    {issueText(item.reason)}
                  </Text>
                </>
              ) : null}
            </Box>
          ))}
        </Box>
      </ScrollArea.Autosize>
      {items.length > shown.length ? (
        <Text size="xs" c="dimmed">
          {t('associate.andMore', { count: items.length - shown.length })}
        </Text>
      ) : null}
    </Box>
  );
}
